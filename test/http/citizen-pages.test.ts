// The citizens' pages in a real browser (headless Chromium through playwright-core) against kyso's own server
// with the exchange mounted: a citizen fills in the feedback form and reads the case code and access key off
// the page; VPCP and the ministry move the case through the service operations; the citizen looks it up,
// downloads the signed answer (the very bytes the API published) and has the page check its signature (Hợp lệ);
// a wrong access key gets a Vietnamese error; a tampered PDF on /kiem-tra is Không hợp lệ. Every page is served
// with a CSP that forbids inline script: any CSP violation, script error or unexpected console error fails.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { getCase } from '../../src/exchange/pakn/cases.ts';
import { publishCase, replyToCase, routeCase } from '../../src/exchange/pakn/case-service.ts';
import type { HttpServerHandle } from '../../src/http/app.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { flipByteInSignedRange } from '../helpers/attacks.ts';
import { MINISTRY, startTestExchange, VPCP, type TestExchange } from '../helpers/exchange.ts';
import { apiCall, startExchangeHttp } from '../helpers/exchange-http.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';

const pki = useTestPkiServer();

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const VN_TIME = /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2} \+07:00$/;
/** "2026-03-12T10:15:30+07:00" as the pages must show it. */
const shown = (iso: string) => iso.replace(/^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?\+07:00$/, '$3/$2/$1 $4 +07:00');

// A small real PDF as the citizen's attachment.
const attachmentPdf = readFileSync(new URL('../fixtures/pdf/pdflib-table.pdf', import.meta.url));

interface Problems {
  /** console errors, page errors and CSP violations, in order */
  errors: string[];
}

describe('citizen pages in headless Chromium', () => {
  let ex: TestExchange;
  let server: HttpServerHandle;
  let browser: Browser;
  let context: BrowserContext;
  const problems: Problems = { errors: [] };

  beforeAll(async () => {
    ex = await startTestExchange(pki.server);
    server = (await startExchangeHttp(ex.rt, pki.server, { citizenPages: true })).server;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    context = await browser.newContext({ acceptDownloads: true, locale: 'vi-VN', timezoneId: 'Europe/Berlin' });
    // CSP violations also become console errors (Chromium logs them), but listen explicitly so none slips by.
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
    });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close(2000);
    await ex?.close();
  });

  async function open(path: string, viewport?: { width: number; height: number }): Promise<Page> {
    const page = await context.newPage();
    if (viewport) await page.setViewportSize(viewport);
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.errors.push(`${m.type()}: ${m.text()} @ ${m.location().url}`);
    });
    page.on('pageerror', (e) => problems.errors.push(`pageerror: ${e.message}`));
    const res = await page.goto(server.url + path);
    expect(res?.status()).toBe(200);
    return page;
  }

  async function expectLabelled(page: Page): Promise<void> {
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input, textarea, select'))
        .filter((e) => (e as HTMLInputElement).type !== 'hidden' && (e as HTMLInputElement).labels?.length === 0)
        .map((e) => e.id || e.outerHTML),
    );
    expect(unlabelled).toEqual([]);
  }

  async function expectNoHorizontalScroll(page: Page): Promise<void> {
    const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(scroll).toBeLessThanOrEqual(client);
  }

  it('serves the pages and their files with a CSP that forbids inline script, the right types and cache headers, and no folder listing', async () => {
    for (const path of ['/', '/pakn', '/tra-cuu', '/kiem-tra']) {
      const r = await fetch(server.url + path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("default-src 'none'");
      expect(r.headers.get('cache-control')).toBe('no-cache');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await r.text();
      expect(html).toMatch(/<html lang="vi">/);
      // No inline script or style, no external origin: everything the page loads comes from /static/citizen.
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
      expect(html).not.toMatch(/\sstyle=|<style/);
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
    const page = await (await fetch(server.url + '/tra-cuu')).text();
    const js = /src="(\/static\/citizen\/tra-cuu\.js\?v=[0-9a-f]+)"/.exec(page)![1]!;
    const versioned = await fetch(server.url + js);
    expect(versioned.status).toBe(200);
    expect(versioned.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(versioned.headers.get('cache-control')).toContain('immutable');
    const css = await fetch(server.url + '/static/citizen/citizen.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('public, max-age=300');
    // Revalidation: the page's ETag answers 304.
    const first = await fetch(server.url + '/kiem-tra');
    const again = await fetch(server.url + '/kiem-tra', { headers: { 'if-none-match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
    // The folder is not listed, and the templates are not files anyone can fetch.
    for (const path of ['/static/citizen', '/static/citizen/', '/static/citizen/layout.html', '/static/citizen/pakn.html', '/static/citizen/../citizen-pages.ts']) {
      const r = await fetch(server.url + path, { redirect: 'manual' });
      expect(r.status, path).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('submit → case code and key shown once → VPCP routes, the ministry replies, VPCP publishes → lookup, download, "Kiểm tra chữ ký" Hợp lệ; a wrong key is refused; a tampered PDF is Không hợp lệ', async () => {
    problems.errors.length = 0;

    // ---- 1. The form: the client-side checks speak Vietnamese, next to the field, before anything is sent.
    const form = await open('/pakn', { width: 375, height: 800 });
    await expectLabelled(form);
    await form.click('#submit');
    await expect.poll(() => form.isVisible('#error-summary')).toBe(true);
    expect(await form.textContent('#error-summary')).toContain('Vui lòng nhập họ và tên');
    expect(await form.getAttribute('#name', 'aria-invalid')).toBe('true');
    await form.fill('#name', 'Nguyễn Thị Hoa');
    await form.fill('#address', 'Số 12 phố Lê Lợi, phường Hoa Lư, tỉnh Ninh Bình');
    await form.fill('#phone', 'điện thoại');
    await form.fill('#title', 'Thủ tục cấp bản sao trích lục hộ tịch');
    await form.fill('#content', 'Đề nghị hướng dẫn thủ tục cấp bản sao trích lục khai sinh trực tuyến cho người đang ở nước ngoài.');
    await form.setInputFiles('#attachments', [
      { name: 'giay-to.pdf', mimeType: 'application/pdf', buffer: attachmentPdf },
      { name: 'ghi-chu.txt', mimeType: 'text/plain', buffer: Buffer.from('không nhận') },
    ]);
    await form.click('#submit');
    const errors = await form.textContent('#error-list');
    expect(errors).toContain('Số điện thoại không hợp lệ');
    expect(errors).toContain('"ghi-chu.txt" không phải PDF, JPEG hoặc PNG');
    expect(await form.isVisible('#receipt')).toBe(false);

    // Corrected: one PDF, a valid phone number → sent.
    await form.fill('#phone', '0912 345 678');
    await form.fill('#email', 'hoa@example.vn');
    await form.setInputFiles('#attachments', [{ name: 'giay-to.pdf', mimeType: 'application/pdf', buffer: attachmentPdf }]);
    await form.click('#submit');
    await form.waitForSelector('#receipt:not([hidden])', { timeout: 20_000 });
    const code = (await form.textContent('#receipt-code'))!.trim();
    const key = (await form.textContent('#receipt-key'))!.trim();
    expect(code).toMatch(/^PAKN-\d{4}-[0-9A-Z]{6}$/);
    expect(key).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const receipt = await form.textContent('#receipt');
    expect(receipt).toContain('chỉ hiển thị một lần');
    expect(await form.textContent('#receipt-due')).toMatch(VN_TIME);
    expect(await form.textContent('#receipt-received')).toMatch(VN_TIME);
    expect(await form.isVisible('#pakn-form')).toBe(false);
    expect(await form.getAttribute('#lookup-link', 'href')).toBe(`/tra-cuu?ma=${code}`);
    await expectNoHorizontalScroll(form);
    // The key is on the page only: nowhere in the address bar or the lookup link.
    expect(form.url()).not.toContain(key);
    // "Lưu vào tệp" saves both codes in a small text file.
    const [saved] = await Promise.all([form.waitForEvent('download'), form.click('#save-receipt')]);
    expect(saved.suggestedFilename()).toBe(`${code}.txt`);
    const savedText = readFileSync((await saved.path())!, 'utf8');
    expect(savedText).toContain(`Mã hồ sơ (case code): ${code}`);
    expect(savedText).toContain(`Mã truy cập (access key): ${key}`);

    // What the page sent is what the case holds: the submitter, the text, the PDF attachment byte for byte.
    const stored = (await getCase(ex.rt.db, code))!;
    expect(stored.submitter).toMatchObject({ name: 'Nguyễn Thị Hoa', phone: '0912 345 678', email: 'hoa@example.vn' });
    expect(stored.title).toBe('Thủ tục cấp bản sao trích lục hộ tịch');
    expect(stored.attachments).toEqual([expect.objectContaining({ name: 'giay-to.pdf', mediaType: 'application/pdf', sha256: sha256(attachmentPdf), size: attachmentPdf.length })]);

    // ---- 2. Looked up at once (from the receipt's link): received, no agency yet, no answer.
    await form.click('#lookup-link');
    await form.waitForURL(/\/tra-cuu\?ma=/);
    expect(await form.inputValue('#code')).toBe(code);
    await expectLabelled(form);
    await form.fill('#key', key);
    await form.click('#lookup');
    await form.waitForSelector('#case:not([hidden])');
    expect(await form.textContent('#case-state')).toBe('Đã tiếp nhận');
    expect(await form.textContent('#case-agency')).toContain('Chưa chuyển đến cơ quan có thẩm quyền');
    expect(await form.isVisible('#no-answer')).toBe(true);
    expect(await form.isVisible('#download')).toBe(false);
    await form.close();

    // ---- 3. The case moves: VPCP routes it to the ministry, the ministry replies (signed), VPCP publishes.
    const { ctx } = ex.rt;
    const routed = await routeCase(ctx, ex.principal(VPCP), code, { agencyId: MINISTRY, note: 'Đề nghị Bộ Tư pháp trả lời.' });
    await replyToCase(ctx, ex.principal(MINISTRY), code, { answer: ['Bộ Tư pháp trả lời như sau:', 'Người ở nước ngoài đề nghị cấp bản sao trích lục qua Cổng dịch vụ công quốc gia.'] });
    await publishCase(ctx, ex.principal(VPCP), code);
    const api = await apiCall(server.url, 'get', `/api/v1/public/cases/${code}`, { headers: { 'x-access-key': key } });
    expect(api.status).toBe(200);
    const published = api.json as { answer: { sha256: string }; receivedAt: string; answerDueAt: string; publishedAt: string; agency: { name: string } };

    // ---- 4. The lookup page, on a phone-sized screen.
    const look = await open('/tra-cuu', { width: 360, height: 740 });
    await look.fill('#code', code.toLowerCase()); // typed in lower case: the page normalises it
    await look.fill('#key', key);
    await look.press('#key', 'Enter');
    await look.waitForSelector('#case:not([hidden])');
    expect(await look.textContent('#case-state')).toBe('Đã công khai kết quả trả lời');
    expect(await look.textContent('#case-state-en')).toBe('Answer published');
    expect(await look.textContent('#case-agency')).toContain(published.agency.name);
    expect(published.agency.name).toBe('Bộ Tư pháp');
    expect(await look.textContent('#case-received')).toBe(shown(published.receivedAt));
    expect(await look.textContent('#case-due')).toBe(shown(published.answerDueAt));
    expect(await look.textContent('#case-published')).toBe(shown(published.publishedAt));
    expect(await look.textContent('#case-due')).toMatch(VN_TIME);
    expect(await look.textContent('#download')).toContain('Tải văn bản trả lời');
    await expectNoHorizontalScroll(look);

    // Download: the saved file is the published answer, byte for byte.
    const [download] = await Promise.all([look.waitForEvent('download'), look.click('#download')]);
    expect(download.suggestedFilename()).toBe(`tra-loi-${code}.pdf`);
    const answer = readFileSync((await download.path())!);
    expect(answer.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(sha256(answer)).toBe(published.answer.sha256);

    // "Kiểm tra chữ ký": the page posts the PDF to /api/v1/verify and shows Hợp lệ with the TT 15 fields.
    await look.click('#verify');
    await look.waitForSelector('#answer-report .report', { timeout: 30_000 });
    expect(await look.getAttribute('#answer-report .report', 'data-indication')).toBe('TOTAL_PASSED');
    expect((await look.textContent('#answer-report .report > .verdict .verdict-vi'))!.trim()).toBe('Hợp lệ');
    const direct = (await apiCall(server.url, 'post', '/api/v1/verify', { body: answer, contentType: 'application/pdf' })).json as ValidationReport;
    expect(direct.indication).toBe('TOTAL_PASSED');
    const cards = look.locator('#answer-report article.signature');
    expect(await cards.count()).toBe(direct.signatures.length);
    expect(direct.signatures.length).toBeGreaterThanOrEqual(2); // the competent person, then the ministry's seal
    for (let i = 0; i < direct.signatures.length; i++) {
      const card = cards.nth(i);
      const s = direct.signatures[i]!;
      expect((await card.locator('.verdict-vi').textContent())!.trim()).toBe('Hợp lệ');
      for (const field of ['issuer', 'signer', 'certificateManager', 'signingTime', 'integrity', 'validAtSigningTime', 'certificateValidity'] as const) {
        expect(await card.locator(`dd[data-field="${field}"]`).textContent(), field).toBe(s.summary[field]);
      }
      const labels = await card.locator('dt').allTextContents();
      expect(labels.join('\n')).toContain('Tính toàn vẹn của thông điệp dữ liệu');
    }
    expect(await look.textContent('#answer-report')).toContain('Có — đúng tệp cơ quan đã công khai');
    await expectNoHorizontalScroll(look);

    // A wrong access key: a clear Vietnamese error, and the case disappears from the screen.
    const wrongKey = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    await look.fill('#key', wrongKey);
    await look.click('#lookup');
    await look.waitForSelector('#lookup-error:not([hidden])');
    expect(await look.textContent('#lookup-error')).toContain('Không tìm thấy hồ sơ với mã hồ sơ và mã truy cập đã nhập');
    expect(await look.isVisible('#case')).toBe(false);
    await look.close();

    // ---- 5. /kiem-tra: the answer with one bit flipped inside the signed range is Không hợp lệ; progress shows.
    const check = await open('/kiem-tra');
    await expectLabelled(check);
    const tampered = flipByteInSignedRange(answer).bytes;
    let progressSeen = false;
    await check.route('**/api/v1/verify', async (route) => {
      // The request is in flight: the progress bar and its label are on screen.
      progressSeen = (await check.isVisible('#progress-box')) && /Đang/.test((await check.textContent('#verify-status')) ?? '');
      await route.continue();
    });
    await check.setInputFiles('#file', { name: 'tra-loi-sua.pdf', mimeType: 'application/pdf', buffer: tampered });
    await check.click('#check');
    await check.waitForSelector('#verify-report .report', { timeout: 30_000 });
    expect(progressSeen).toBe(true);
    expect(await check.getAttribute('#verify-report .report', 'data-indication')).toBe('TOTAL_FAILED');
    expect((await check.textContent('#verify-report .report > .verdict .verdict-vi'))!.trim()).toBe('Không hợp lệ');
    expect(await check.textContent('#verify-report')).toContain('tra-loi-sua.pdf');
    expect(await check.textContent('#verify-report')).toContain('Không toàn vẹn');
    expect(await check.isVisible('#progress-box')).toBe(false);

    // A signed edXML package (the routing package VPCP sent): its own signature Hợp lệ, the signed routing
    // letter it carries Hợp lệ, but the citizen's unsigned attachment travels with it, so the whole is
    // "Chưa xác định được hiệu lực" — never shown as valid.
    const pkg = await ctx.blobs.get(routed.message.packageSha256);
    await check.unroute('**/api/v1/verify');
    await check.setInputFiles('#file', { name: 'goi-tin.xml', mimeType: 'application/xml', buffer: Buffer.from(pkg) });
    await check.click('#check');
    await check.waitForSelector('#verify-report .report');
    const top = check.locator('#verify-report > .report');
    expect(await top.getAttribute('data-indication')).toBe('INDETERMINATE');
    expect((await top.locator('> .verdict .verdict-vi').textContent())!.trim()).toBe('Chưa xác định được hiệu lực');
    expect((await top.locator('> article.signature .verdict-vi').textContent())!.trim()).toBe('Hợp lệ');
    const parts = top.locator('> .attachment');
    expect(await parts.count()).toBe(2);
    expect(await parts.nth(0).locator('.report').getAttribute('data-indication')).toBe('TOTAL_PASSED');
    expect(await parts.nth(0).locator('article.signature').count()).toBe(2); // the competent person, the VPCP seal
    expect(await parts.nth(1).textContent()).toContain('giay-to.pdf');
    expect(await parts.nth(1).textContent()).toContain('Tài liệu không có chữ ký số nào');

    // Something that is no PDF at all: the API's Vietnamese problem on the page.
    await check.setInputFiles('#file', { name: 'khong-phai.pdf', mimeType: 'application/pdf', buffer: Buffer.from('xin chào') });
    await check.click('#check');
    await check.waitForSelector('#verify-error:not([hidden])');
    expect(await check.textContent('#verify-error')).toMatch(/Không đọc được|không phải/i);
    await check.close();

    // Nothing went wrong in the browser but the two refusals the test asked for (the wrong key's 404 and the
    // unreadable file's 4xx, which Chromium always logs as failed loads).
    const unexpected = problems.errors.filter(
      (e) => !/^error: Failed to load resource: the server responded with a status of (404|422|400) .*@ .*\/api\/v1\/(public\/cases\/PAKN-|verify)/.test(e),
    );
    expect(unexpected).toEqual([]);
    expect(problems.errors.length).toBe(2);
  }, 120_000);
});
