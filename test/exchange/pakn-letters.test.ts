// The PAKN letters end to end: composed (Decree 30 layout, Vietnamese text that poppler extracts exactly, a file
// qpdf accepts), signed by the competent person and the agency seal (kyso verifies TOTAL_PASSED, pdfsig sees two
// valid signatures) and rendered by poppler with the blue signature and the red seal where the layout put them.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import {
  composeReplyLetter,
  composeRoutingLetter,
  vietnameseDate,
  type ComposedLetter,
} from '../../src/exchange/pakn/letters.ts';
import { signLetter, stampAttachment, type SignedLetter } from '../../src/exchange/pakn/sign-letter.ts';
import type { XYWH } from '../../src/signing/pdf/appearance/types.ts';
import { verifyPdf } from '../../src/verify/pdf/pdf-validator.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { longReplyLetter, replyLetter, routingLetter } from '../fixtures/letters/pakn-case.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { IMAGES, signerOf } from '../helpers/signing.ts';
import { makeNssDb, pdfsig, qpdfCheck } from '../helpers/tools.ts';

const run = promisify(execFile);
const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');
const SIGNATURE = readFileSync(join(IMAGES, 'signature-blue.png'));
const SEAL = readFileSync(join(IMAGES, 'seal-red.png'));
const pki = useTestPkiServer();

function save(name: string, data: Uint8Array): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, name);
  writeFileSync(file, data);
  return file;
}

/** pdftotext of one page (1-based) or all, whitespace collapsed so wrapped phrases can be matched. */
async function text(file: string, page?: number): Promise<string> {
  const range = page ? ['-f', String(page), '-l', String(page)] : [];
  const { stdout } = await run('pdftotext', [...range, file, '-']);
  return stdout.replace(/\s+/g, ' ').trim();
}

interface Word {
  text: string;
  /** PDF coordinates (origin bottom-left), points. */
  x: number;
  right: number;
  y: number;
  top: number;
}

/** Word boxes of one page from pdftotext -bbox, converted to PDF coordinates. */
async function words(file: string, page: number): Promise<Word[]> {
  const { stdout } = await run('pdftotext', ['-bbox', '-f', String(page), '-l', String(page), file, '-']);
  const height = Number(/<page width="[\d.]+" height="([\d.]+)"/.exec(stdout)![1]);
  return [...stdout.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)].map((m) => ({
    text: m[5].replace(/&amp;/g, '&'),
    x: Number(m[1]),
    right: Number(m[3]),
    y: height - Number(m[4]),
    top: height - Number(m[2]),
  }));
}

interface Raster {
  width: number;
  height: number;
  data: Buffer;
}

async function render(file: string, page: number): Promise<Raster> {
  const prefix = file.replace(/\.pdf$/, `-p${page}`);
  await run('pdftoppm', ['-r', '72', '-png', '-singlefile', '-f', String(page), '-l', String(page), file, prefix]);
  const png = PNG.sync.read(readFileSync(`${prefix}.png`));
  return { width: png.width, height: png.height, data: png.data };
}

type Ink = 'red' | 'blue';
const isInk: Record<Ink, (r: number, g: number, b: number) => boolean> = {
  red: (r, g, b) => r - g > 60 && r - b > 60,
  blue: (r, g, b) => b - r > 50 && b - g > 40,
};

/** Pixels of an ink inside [x, y, w, h] (PDF points, 72 dpi raster); the whole page when no region. */
function ink(img: Raster, kind: Ink, region: XYWH = [0, 0, img.width, img.height]): number {
  const [x, y, w, h] = region;
  let n = 0;
  for (let py = Math.max(0, Math.floor(img.height - (y + h))); py < Math.min(img.height, Math.ceil(img.height - y)); py++) {
    for (let px = Math.max(0, Math.floor(x)); px < Math.min(img.width, Math.ceil(x + w)); px++) {
      const i = (py * img.width + px) * 4;
      if (isInk[kind](img.data[i], img.data[i + 1], img.data[i + 2])) n++;
    }
  }
  return n;
}

function expectAllPassed(r: ValidationReport): void {
  const failing = r.signatures.flatMap((s) => s.checks.filter((c) => c.status === 'FAILED').map((c) => `${s.id}/${c.id}: ${c.message.en}`));
  expect(failing).toEqual([]);
  expect(r.indication).toBe('TOTAL_PASSED');
  for (const s of r.signatures) expect(s.indication).toBe('TOTAL_PASSED');
}

// ---------------------------------------------------------------------------------------------------------------

describe('Vietnamese dates (Decree 30: leading zero for days < 10 and months 1–2, Vietnam time)', () => {
  it('writes the date of the instant in Asia/Ho_Chi_Minh', () => {
    expect(vietnameseDate(new Date('2026-11-22T03:00:00Z'))).toBe('ngày 22 tháng 11 năm 2026');
    // 17:30Z on 4 January is 00:30 on 5 January in Hà Nội
    expect(vietnameseDate(new Date('2026-01-04T17:30:00Z'))).toBe('ngày 05 tháng 01 năm 2026');
    expect(vietnameseDate(new Date('2026-02-09T01:00:00Z'))).toBe('ngày 09 tháng 02 năm 2026');
    expect(vietnameseDate(new Date('2026-03-15T01:00:00Z'))).toBe('ngày 15 tháng 3 năm 2026');
  });
});

describe('routing letter (VPCP → agency)', () => {
  let letter: ComposedLetter;
  let file: string;
  beforeAll(() => {
    letter = composeRoutingLetter(routingLetter);
    file = save('letter-routing.pdf', letter.pdf);
  });

  it('reads back in Vietnamese: motto, number, date, V/v, Kính gửi, case code, deadline, nơi nhận, signer', async () => {
    const t = await text(file);
    for (const phrase of [
      'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
      'Độc lập - Tự do - Hạnh phúc',
      'VĂN PHÒNG CHÍNH PHỦ',
      'Số: 125/VPCP-KSTT',
      'Hà Nội, ngày 22 tháng 11 năm 2026',
      'V/v chuyển phản ánh, kiến nghị của bà Trần Thị Bình',
      'Kính gửi: Bộ Tài chính',
      'mã số PAKN-2026-000123, tiếp nhận ngày 20 tháng 11 năm 2026',
      'chậm nhất vào 23 giờ 59 phút ngày 18 tháng 12 năm 2026 (hạn trả lời: 18.12.2026 23:59:59 +07:00)',
      'gửi qua Hệ thống tiếp nhận, trả lời phản ánh, kiến nghị trên Cổng Dịch vụ công quốc gia',
      '“Bà Trần Thị Bình phản ánh: hồ sơ đề nghị hoàn thuế giá trị gia tăng',
      'cơ quan có thẩm quyền xử lý./.',
      'Nơi nhận:',
      '- Như trên; - Thủ tướng Chính phủ (để b/c); - Cục Kiểm soát thủ tục hành chính; - Lưu: VT, KSTT.',
      'KT. BỘ TRƯỞNG, CHỦ NHIỆM',
      'PHÓ CHỦ NHIỆM',
      'Nguyễn Văn An',
    ]) {
      expect(t).toContain(phrase);
    }
  });

  it('is a clean one-page A4 PDF with embedded subset Tinos fonts', async () => {
    expect(qpdfCheck(file)).toMatchObject({ ok: true });
    const { stdout: info } = await run('pdfinfo', [file]);
    expect(info).toMatch(/Pages:\s+1\n/);
    expect(info).toMatch(/Page size:\s+595\.276 x 841\.89 pts \(A4\)/);
    expect(info).toMatch(/Title:\s+Công văn số 125\/VPCP-KSTT: chuyển phản ánh, kiến nghị PAKN-2026-000123\n/);
    const { stdout: fonts } = await run('pdffonts', [file]);
    const rows = fonts.split('\n').slice(2).filter((l) => l.trim());
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatch(/^[A-Z]{6}\+Tinos-(Regular|Bold)\s+CID TrueType\s+Identity-H\s+yes yes yes/);
  });

  it('puts the header in the decree positions and reserves the signature box between position and name', async () => {
    const ws = await words(file, 1);
    const find = (t: string): Word => {
      const w = ws.find((x) => x.text === t);
      expect(w, t).toBeDefined();
      return w!;
    };
    // National title top right, issuing body top left, on the same line; number left and date right below them.
    expect(find('CỘNG').x).toBeGreaterThan(595 / 2 - 60);
    expect(find('VĂN').x).toBeLessThan(595 / 2 - 60);
    expect(Math.abs(find('CỘNG').y - find('VĂN').y)).toBeLessThan(2);
    expect(find('Số:').y).toBeLessThan(find('Độc').y);
    expect(Math.abs(find('Số:').y - find('Hà').y)).toBeLessThan(2);
    // The body starts at the left margin (30 mm) and runs to the right margin (15 mm) when justified.
    const leftmost = Math.min(...ws.filter((w) => w.y < find('Kính').y && w.y > find('Nơi').top).map((w) => w.x));
    expect(leftmost).toBeCloseTo((30 * 72) / 25.4, 0);
    const rightmost = Math.max(...ws.filter((w) => w.y < find('Kính').y && w.y > find('Nơi').top).map((w) => w.right));
    expect(rightmost).toBeCloseTo(595.276 - (15 * 72) / 25.4, 0);
    // The signature box: right half, below "PHÓ CHỦ NHIỆM" and above "Nguyễn Văn An".
    const [x, y, w, h] = letter.signature.rect;
    expect(letter.signature.page).toBe(0);
    expect(x).toBeGreaterThan(595 / 2);
    expect(x + w).toBeLessThan(595 - (15 * 72) / 25.4);
    const position = ws.filter((v) => v.text === 'PHÓ').at(-1)!;
    expect(y + h).toBeLessThan(position.y);
    expect(y).toBeGreaterThan(find('Nguyễn').top);
  });

  it('is deterministic: the same data gives the same bytes', () => {
    expect(Buffer.from(composeRoutingLetter(routingLetter).pdf).equals(Buffer.from(letter.pdf))).toBe(true);
  });

  it('refuses ill-formed data with Vietnamese-first errors', () => {
    expect(() => composeRoutingLetter({ ...routingLetter, numberSymbol: '125 / vpcp-kstt' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', vi: expect.stringContaining('số, ký hiệu không hợp lệ') }),
    );
    expect(() => composeRoutingLetter({ ...routingLetter, signatory: { ...routingLetter.signatory, fullName: ' ' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', vi: expect.stringContaining('họ tên người ký') }),
    );
    expect(() => composeRoutingLetter({ ...routingLetter, answerDeadline: new Date('nope') })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', en: expect.stringContaining('answer deadline') }),
    );
    expect(() => composeRoutingLetter({ ...routingLetter, case: { ...routingLetter.case, summary: 'Phản ánh về 税务 thủ tục' } })).toThrow(
      expect.objectContaining({ code: 'FONT_MISSING_GLYPH' }),
    );
  });
});

describe('reply letter (agency → VPCP)', () => {
  it('cites the routing letter and carries the answer', async () => {
    const file = save('letter-reply.pdf', composeReplyLetter(replyLetter).pdf);
    const t = await text(file);
    for (const phrase of [
      'BỘ TÀI CHÍNH',
      'Số: 4321/BTC-TCT',
      'Hà Nội, ngày 01 tháng 12 năm 2026',
      'V/v trả lời phản ánh, kiến nghị của bà Trần Thị Bình',
      'Kính gửi: Văn phòng Chính phủ',
      'Bộ Tài chính nhận được Công văn số 125/VPCP-KSTT ngày 22 tháng 11 năm 2026 của Văn phòng Chính phủ',
      '(mã số PAKN-2026-000123)',
      replyLetter.answer[1],
      'đăng tải nội dung trả lời trên Cổng Dịch vụ công quốc gia theo quy định./.',
      'KT. BỘ TRƯỞNG',
      'THỨ TRƯỞNG',
      'Lê Thị Hoa',
    ]) {
      expect(t).toContain(phrase);
    }
    expect(qpdfCheck(file)).toMatchObject({ ok: true });
  });

  it('names the governing body above the issuing body', async () => {
    const letter = composeReplyLetter({ ...replyLetter, issuer: { parentName: 'Bộ Tài chính', name: 'Cục Thuế' }, numberSymbol: '88/CT-TTHT' });
    const t = await text(save('letter-reply-department.pdf', letter.pdf));
    expect(t).toMatch(/^BỘ TÀI CHÍNH CỤC THUẾ CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM/);
    expect(t).toContain('Cục Thuế nhận được Công văn số 125/VPCP-KSTT');
  });

  it('runs onto further pages: numbered from page 2, every paragraph once and in order, signature on the last page', async () => {
    const letter = composeReplyLetter(longReplyLetter);
    const file = save('letter-reply-long.pdf', letter.pdf);
    expect(letter.pageCount).toBeGreaterThanOrEqual(2);
    expect(letter.signature.page).toBe(letter.pageCount - 1);
    expect(qpdfCheck(file)).toMatchObject({ ok: true });

    // The pages' text in order, each page number (the first thing on pages 2…) taken out.
    const pages: string[] = [];
    for (let i = 1; i <= letter.pageCount; i++) {
      const t = await text(file, i);
      if (i > 1) expect(t.startsWith(`${i} `)).toBe(true);
      pages.push(i > 1 ? t.slice(`${i} `.length) : t);
    }
    const all = pages.join(' ');
    let from = 0;
    for (const p of longReplyLetter.answer) {
      const at = all.indexOf(p, from);
      expect(at, p.slice(0, 40)).toBeGreaterThanOrEqual(from);
      from = at + p.length;
    }
    // Page 1 has no number; page 2 has "2" centred in the top margin, above the text.
    const first = await words(file, 1);
    expect(first.some((w) => w.text === '1' && w.y > 841.89 - 72)).toBe(false);
    const second = await words(file, 2);
    const number = second.find((w) => w.text === '2');
    expect(number).toBeDefined();
    expect(number!.y).toBeGreaterThan(Math.max(...second.filter((w) => w !== number).map((w) => w.top)));
    // centred between the 30 mm and 15 mm margins
    expect((number!.x + number!.right) / 2).toBeCloseTo((85.039 + 552.756) / 2, 0);
    const last = await text(file, letter.pageCount);
    expect(last).toContain('Lê Thị Hoa');
  });

  it('never splits the closing nor leaves it alone: it shares a page with the end of the body, for any answer length', async () => {
    const paragraphs = longReplyLetter.answer;
    for (let n = 1; n <= paragraphs.length; n++) {
      const letter = composeReplyLetter({ ...replyLetter, answer: paragraphs.slice(0, n) });
      const file = save(`letter-reply-${n}.pdf`, letter.pdf);
      expect(letter.signature.page, `${n} paragraphs`).toBe(letter.pageCount - 1);
      const last = await text(file, letter.pageCount);
      for (const part of ['theo quy định./. Nơi nhận:', '- Lưu: VT, TCT.', 'KT. BỘ TRƯỞNG THỨ TRƯỞNG', 'Lê Thị Hoa']) expect(last, `${n} paragraphs`).toContain(part);
      const [, y, , h] = letter.signature.rect;
      expect(y).toBeGreaterThan((20 * 72) / 25.4);
      expect(y + h).toBeLessThan(841.89 - (20 * 72) / 25.4);
    }
  });
});

describe('signing the letters (competent person, then the agency seal)', () => {
  let nss: string;
  beforeAll(() => {
    nss = makeNssDb({ 'Test NEAC Root': testPki.rootPem });
  });

  async function sign(letter: ComposedLetter, person: 'person-vpcp' | 'person-ministry', seal: 'vpcp-seal' | 'ministry-seal'): Promise<SignedLetter> {
    return signLetter(letter.pdf, {
      person: { signer: signerOf(person), image: SIGNATURE, reason: 'Ký ban hành văn bản' },
      seal: { signer: signerOf(seal), image: SEAL },
      level: 'B-T',
      tsa: `${pki.server.url}/tsa`,
      network: { rewrite: pki.server.rewrite },
      revocationCheck: 'require',
      signatureRect: letter.signature,
      location: 'Hà Nội',
    });
  }

  it('routing letter (person-vpcp RSA, vpcp-seal): TOTAL_PASSED in kyso, two valid signatures in pdfsig, ink in place', async () => {
    const letter = composeRoutingLetter(routingLetter);
    const signed = await sign(letter, 'person-vpcp', 'vpcp-seal');
    const file = save('letter-routing-signed.pdf', signed.pdf);

    // Incremental: the composed letter and the person's revision are untouched prefixes.
    expect(signed.personSigned.subarray(0, letter.pdf.length).equals(Buffer.from(letter.pdf))).toBe(true);
    expect(signed.pdf.subarray(0, signed.personSigned.length).equals(signed.personSigned)).toBe(true);

    const r = await verifyPdf(signed.pdf, { trust: TrustStore.demo(), network: { rewrite: pki.server.rewrite } });
    expectAllPassed(r);
    expect(r.signatures.map((s) => s.signer?.commonName)).toEqual(['Nguyễn Văn An', 'Văn phòng Chính phủ']);
    expect(r.signatures.map((s) => s.format)).toEqual(['PAdES-BASELINE-T', 'PAdES-BASELINE-T']);

    const { signatures, stdout } = pdfsig(file, nss);
    expect(signatures.map((s) => [s.validation, s.certificate]), stdout).toEqual([
      ['Signature is Valid.', 'Certificate is Trusted.'],
      ['Signature is Valid.', 'Certificate is Trusted.'],
    ]);
    expect(qpdfCheck(file)).toMatchObject({ ok: true });

    // The image went into the reserved box; the seal's right edge is at a third of the image, overlapping it.
    const [bx, by, bw, bh] = letter.signature.rect;
    const [px, py, pw, ph] = signed.personRect!;
    expect(px).toBeGreaterThanOrEqual(bx - 0.01);
    expect(py).toBeGreaterThanOrEqual(by - 0.01);
    expect(px + pw).toBeLessThanOrEqual(bx + bw + 0.01);
    expect(py + ph).toBeLessThanOrEqual(by + bh + 0.01);
    const [sx, sy, sw, sh] = signed.sealRect!;
    expect(sx + sw).toBeCloseTo(px + pw / 3, 1);
    expect(sy + sh / 2).toBeCloseTo(py + ph / 2, 1);
    expect(sw).toBeCloseTo((35 * 72) / 25.4, 0); // real size: the fixture seal is 35 mm across

    const img = await render(file, 1);
    const blueTotal = ink(img, 'blue');
    const redTotal = ink(img, 'red');
    expect(blueTotal).toBeGreaterThan(300);
    expect(redTotal).toBeGreaterThan(1000);
    // All blue inside the signature image (1 pt slack for anti-aliasing), all red inside the seal.
    expect(ink(img, 'blue', [px - 1, py - 1, pw + 2, ph + 2])).toBe(blueTotal);
    expect(ink(img, 'red', [sx - 1, sy - 1, sw + 2, sh + 2])).toBe(redTotal);
    // The seal covers the left third of the signature: red inside the image's left third, none in its right part.
    expect(ink(img, 'red', [px, py, pw / 3, ph])).toBeGreaterThan(50);
    expect(ink(img, 'red', [px + pw / 3 + 2, py, (2 * pw) / 3 - 2, ph])).toBe(0);
  });

  it('multi-page reply letter (person-ministry EC, ministry-seal EC): both signatures valid, on the last page', async () => {
    const letter = composeReplyLetter(longReplyLetter);
    const signed = await sign(letter, 'person-ministry', 'ministry-seal');
    const file = save('letter-reply-signed.pdf', signed.pdf);

    const r = await verifyPdf(signed.pdf, { trust: TrustStore.demo(), network: { rewrite: pki.server.rewrite } });
    expectAllPassed(r);
    expect(r.signatures.map((s) => s.signer?.commonName)).toEqual([
      testPki.identity('person-ministry').commonName,
      testPki.identity('ministry-seal').commonName,
    ]);
    const { signatures, stdout } = pdfsig(file, nss);
    expect(signatures.map((s) => s.validation), stdout).toEqual(['Signature is Valid.', 'Signature is Valid.']);
    expect(signatures.map((s) => s.certificate), stdout).toEqual(['Certificate is Trusted.', 'Certificate is Trusted.']);

    const lastPage = await render(file, letter.pageCount);
    expect(ink(lastPage, 'blue', signed.personRect!)).toBeGreaterThan(300);
    expect(ink(lastPage, 'red', signed.sealRect!)).toBeGreaterThan(1000);
    const firstPage = await render(file, 1);
    expect(ink(firstPage, 'blue') + ink(firstPage, 'red')).toBe(0);
  });

  it('without a signature image the person signs invisibly and the seal still covers the left third of the box', async () => {
    const letter = composeRoutingLetter(routingLetter);
    const signed = await signLetter(letter.pdf, {
      person: { signer: signerOf('person-vpcp') },
      seal: { signer: signerOf('vpcp-seal'), image: SEAL, diameterMm: 40 },
      network: { rewrite: pki.server.rewrite },
      signatureRect: letter.signature,
    });
    expect(signed.personRect).toBeUndefined();
    const [bx, , bw] = letter.signature.rect;
    const [sx, , sw] = signed.sealRect!;
    expect(sx + sw).toBeCloseTo(bx + bw / 3, 1);
    expect(sw).toBeCloseTo((40 * 72) / 25.4, 1);
    const r = await verifyPdf(signed.pdf, { trust: TrustStore.demo(), network: { rewrite: pki.server.rewrite } });
    expectAllPassed(r);
    expect(r.signatures.map((s) => s.format)).toEqual(['PAdES-BASELINE-B', 'PAdES-BASELINE-B']);
  });

  it('refuses a placement outside the letter', async () => {
    const letter = composeRoutingLetter(routingLetter);
    await expect(
      signLetter(letter.pdf, {
        person: { signer: signerOf('person-vpcp'), image: SIGNATURE },
        seal: { signer: signerOf('vpcp-seal'), image: SEAL },
        revocationCheck: 'off',
        signatureRect: { page: 0, rect: [100, 100, 0, 50] },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('stamps a separate attachment with the letter number and the signing time (+07:00)', async () => {
    const attachment = composeReplyLetter(replyLetter).pdf; // any PDF: here a letter stands in for the attachment
    const stamped = await stampAttachment(attachment, { signer: signerOf('vpcp-seal') }, '125/VPCP-KSTT', {
      network: { rewrite: pki.server.rewrite },
      now: new Date('2026-11-22T03:15:30Z'),
    });
    const file = save('letter-attachment-stamped.pdf', stamped.bytes);
    expect(await text(file, 1)).toContain('số: 125/vpcp-kstt thời gian ký: 22.11.2026 10:15:30 +07:00');
    const r = await verifyPdf(stamped.bytes, { trust: TrustStore.demo(), network: { rewrite: pki.server.rewrite } });
    expectAllPassed(r);
  });
});
