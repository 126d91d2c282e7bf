// The HTTP API as a client sees it: the real app on an ephemeral port, the real validator, the test PKI server
// for OCSP/CRL/TSA, kyso-signed files made in the test. Requests go over real sockets (fetch / node:http).
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, VERSION, type HttpServerHandle, type Verifier } from '../../src/http/app.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import { defaultPolicy } from '../../src/verify/policy.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { encryptedPdf, samples } from '../fixtures/pdf/index.ts';
import { signerOf } from '../helpers/signing.ts';

const LIMIT = 512 * 1024;

let pki: TestPkiServer;
let api: HttpServerHandle;
let signed: Buffer;
let unsigned: Buffer;

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  title_en: string;
  detail_en: string;
}

async function post(body: Uint8Array | string | FormData, contentType?: string, query = '', base = api.url): Promise<Response> {
  const b: BodyInit = body instanceof Uint8Array ? new Uint8Array(body) : body;
  return fetch(`${base}/api/v1/verify${query}`, { method: 'POST', body: b, headers: contentType ? { 'content-type': contentType } : {} });
}

async function expectProblem(res: Response, status: number, code?: string): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const text = await res.text();
  const p = JSON.parse(text) as Problem;
  expect(p.status).toBe(status);
  expect(p.type).toMatch(/^urn:kyso:problem:/);
  for (const k of ['title', 'detail', 'title_en', 'detail_en', 'code'] as const) expect(typeof p[k], k).toBe('string');
  if (code) expect(p.code).toBe(code);
  // No stack traces or file paths leak.
  expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/);
  expect(text).not.toMatch(/node_modules|\/src\//);
  return p;
}

function expectPassed(report: ValidationReport): void {
  expect(report.document.format).toBe('PDF');
  expect(report.signatures).toHaveLength(1);
  expect(report.signatures[0]!.indication, JSON.stringify(report.signatures[0]!.checks.filter((c) => c.status !== 'PASSED'))).toBe('TOTAL_PASSED');
  expect(report.indication).toBe('TOTAL_PASSED');
  expect(report.signatures[0]!.summary.result).toBe('Hợp lệ');
}

/** A raw node:http request, for what fetch cannot do (no Content-Length, Expect: 100-continue). */
function rawRequest(
  url: string,
  opts: { headers: Record<string, string | number>; body?: (req: ReturnType<typeof request>) => void },
): Promise<{ status: number; headers: Record<string, unknown>; body: string; sawContinue: boolean }> {
  return new Promise((resolve, reject) => {
    let sawContinue = false;
    let sawResponse = false;
    const req = request(url, { method: 'POST', headers: opts.headers });
    req.on('continue', () => {
      sawContinue = true;
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, sawContinue }));
    });
    // The server may drop the connection after answering while we are still sending: that is expected.
    req.on('error', (e) => (sawResponse ? undefined : reject(e)));
    req.once('response', () => (sawResponse = true));
    if (opts.body) opts.body(req);
    else req.end();
  });
}

/** A one-page PDF with a classic xref table: catalog (given), page tree, page, and optional extra objects. */
function minimalPdf(catalog: string, ...extra: (string | Buffer)[]): Buffer {
  const objects: (string | Buffer)[] = [catalog, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>', ...extra];
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n')];
  const offsets: number[] = [];
  let size = parts[0]!.length;
  objects.forEach((o, i) => {
    offsets.push(size);
    const b = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), Buffer.from(o), Buffer.from('\nendobj\n')]);
    parts.push(b);
    size += b.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`, ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${size}\n%%EOF\n`));
  return Buffer.concat(parts);
}

beforeAll(async () => {
  pki = await startTestPkiServer();
  unsigned = readFileSync(samples.find((s) => s.id === 'pdflib-table')!.file);
  signed = (
    await signDocument(unsigned, {
      signer: signerOf('person-vpcp'),
      level: 'B-T',
      tsaUrl: `${pki.url}/tsa`,
      network: { rewrite: pki.rewrite },
      revocationCheck: 'require',
    })
  ).bytes;
  // As `kyso serve` runs it: validation in worker threads.
  api = await startHttpServer({ trust: TrustStore.demo(), policy: defaultPolicy(), network: { rewrite: pki.rewrite }, maxUploadBytes: LIMIT, workers: 2 });
});

afterAll(async () => {
  await api?.close(1000);
  await pki?.close();
});

describe('POST /api/v1/verify', () => {
  it('answers a kyso-signed PDF sent as the raw body with a TOTAL_PASSED report', async () => {
    const res = await post(signed, 'application/pdf');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const report = (await res.json()) as ValidationReport;
    expectPassed(report);
    expect(report.document.size).toBe(signed.length);
    expect(report.signatures[0]!.format).toBe('PAdES-BASELINE-T');
    expect(report.signatures[0]!.signer?.commonName).toBeTruthy();
    expect(report.validationTime).toMatch(/\+07:00$/);
  });

  it('accepts application/octet-stream and a ?name=', async () => {
    const res = await post(signed, 'application/octet-stream', '?name=reply.pdf');
    expect(res.status).toBe(200);
    const report = (await res.json()) as ValidationReport;
    expectPassed(report);
    expect(report.document.name).toBe('reply.pdf');
  });

  it('accepts multipart/form-data with the field "file" and reports its file name', async () => {
    const form = new FormData();
    form.append('note', 'ignored');
    form.append('file', new Blob([new Uint8Array(signed)], { type: 'application/pdf' }), 'van-ban-tra-loi.pdf');
    const res = await post(form);
    expect(res.status).toBe(200);
    const report = (await res.json()) as ValidationReport;
    expectPassed(report);
    expect(report.document.name).toBe('van-ban-tra-loi.pdf');
  });

  it('answers 200 with a report that says so when the signature is broken', async () => {
    const tampered = Buffer.from(signed);
    // The producer string <FEFF0070…> ("p…") becomes <FEFF0071…> ("q…"): still a well-formed PDF.
    const at = tampered.indexOf('/Producer <FEFF0070') + '/Producer <FEFF007'.length;
    expect(at).toBeGreaterThan(100);
    expect(at).toBeLessThan(tampered.indexOf('/ByteRange'));
    tampered[at] = '1'.charCodeAt(0);
    const res = await post(tampered, 'application/pdf');
    expect(res.status).toBe(200);
    const report = (await res.json()) as ValidationReport;
    expect(report.indication).toBe('TOTAL_FAILED');
    expect(report.signatures[0]!.subIndication).toBe('HASH_FAILURE');
  });

  it('reports a readable PDF without signatures (200, no signatures, not passed)', async () => {
    const res = await post(unsigned, 'application/pdf');
    expect(res.status).toBe(200);
    const report = (await res.json()) as ValidationReport;
    expect(report.signatures).toEqual([]);
    expect(report.indication).not.toBe('TOTAL_PASSED');
  });

  it('refuses a ?at= that is not ISO 8601 with an offset', async () => {
    await expectProblem(await post(signed, 'application/pdf', '?at=yesterday'), 400, 'BAD_REQUEST');
    await expectProblem(await post(signed, 'application/pdf', '?at=2020-01-01T00:00:00'), 400, 'BAD_REQUEST');
  });

  it('honours ?at=: before the certificate was issued → not passed', async () => {
    const res = await post(signed, 'application/pdf', '?at=2024-06-01T00:00:00%2B07:00');
    expect(res.status).toBe(200);
    const report = (await res.json()) as ValidationReport;
    expect(report.validationTime).toBe('2024-06-01T00:00:00+07:00');
    expect(report.indication).not.toBe('TOTAL_PASSED');
  });

  it('accepts ?offline=true and refuses ?offline=maybe', async () => {
    const res = await post(signed, 'application/pdf', '?offline=true');
    expect(res.status).toBe(200);
    expect(((await res.json()) as ValidationReport).signatures).toHaveLength(1);
    await expectProblem(await post(signed, 'application/pdf', '?offline=maybe'), 400, 'BAD_REQUEST');
  });

  it('answers 422 problem+json for random bytes, a truncated PDF and an encrypted PDF', async () => {
    const p = await expectProblem(await post(randomBytes(4096), 'application/pdf'), 422);
    // Random bytes are neither PDF nor XML: the API (which also takes XML) says so.
    expect(p.code).toBe('UNSUPPORTED_FORMAT');
    expect(p.title).toBe('Tệp không phải PDF hay XML');
    expect(p.title_en).toBe('Neither PDF nor XML');
    const enc = await expectProblem(await post(readFileSync(encryptedPdf), 'application/pdf'), 422);
    expect(enc.code).toBe('PDF_ENCRYPTED');
  });

  it('malformed PDFs (truncations, deep nesting, a deflate bomb) each get a report or a 422, and the server stays up', async () => {
    const statuses: number[] = [];
    for (let k = 1; k < 10; k++) {
      const res = await post(signed.subarray(0, Math.floor((signed.length * k) / 10)), 'application/pdf');
      statuses.push(res.status);
      if (res.status !== 200) await expectProblem(res, 422);
      else await res.arrayBuffer();
    }
    expect(statuses.every((s) => s === 200 || s === 422)).toBe(true);
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    await expectProblem(await post(minimalPdf(`<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields ${deep} >> >>`), 'application/pdf'), 422, 'PDF_MALFORMED');
    // 64 MiB of zeros deflated to ~64 KiB, as an unreferenced-by-anything-that-matters stream.
    const bomb = deflateSync(Buffer.alloc(64 * 2 ** 20));
    const withBomb = minimalPdf('<< /Type /Catalog /Pages 2 0 R >>', Buffer.concat([Buffer.from(`<< /Filter /FlateDecode /Length ${bomb.length} >>\nstream\n`), bomb, Buffer.from('\nendstream')]));
    const b = await post(withBomb, 'application/pdf');
    expect([200, 422]).toContain(b.status);
    expectPassed((await (await post(signed, 'application/pdf')).json()) as ValidationReport);
  });

  it('answers 400 NO_FILE for an empty body and for multipart without a "file" part', async () => {
    await expectProblem(await post(new Uint8Array(0), 'application/pdf'), 400, 'NO_FILE');
    const form = new FormData();
    form.append('other', new Blob([new Uint8Array(signed)]), 'x.pdf');
    await expectProblem(await post(form), 400, 'NO_FILE');
    await expectProblem(await post('garbage', 'multipart/form-data'), 400, 'BAD_REQUEST');
  });

  it('answers 415 for an unsupported or missing content type', async () => {
    const p = await expectProblem(await post('a=b', 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(p.detail_en).toMatch(/application\/pdf/);
    await expectProblem(await post(signed, 'text/plain'), 415);
    const none = await rawRequest(`${api.url}/api/v1/verify`, { headers: { 'content-length': 3 }, body: (r) => r.end('abc') });
    expect(none.status).toBe(415);
  });

  it('answers 413 over the limit (declared length, chunked, multipart, Expect: 100-continue) and stays up', async () => {
    const big = randomBytes(LIMIT * 4);
    // Declared Content-Length above the limit: refused before the body is read.
    const p = await expectProblem(await post(big, 'application/pdf'), 413, 'PAYLOAD_TOO_LARGE');
    expect(p.detail_en).toMatch(/512 KiB|524288 bytes|0\.5 MiB/);

    // No Content-Length (chunked): cut off when the limit is passed.
    const chunked = await rawRequest(`${api.url}/api/v1/verify`, {
      headers: { 'content-type': 'application/pdf', 'transfer-encoding': 'chunked' },
      body: (r) => {
        for (let i = 0; i < 8; i++) r.write(big.subarray(i * (LIMIT / 2), (i + 1) * (LIMIT / 2)));
        r.end();
      },
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).code).toBe('PAYLOAD_TOO_LARGE');

    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(big)]), 'big.pdf');
    await expectProblem(await post(form), 413, 'PAYLOAD_TOO_LARGE');

    // Expect: 100-continue with a declared size over the limit: 413 comes instead of 100 Continue.
    const expect100 = await rawRequest(`${api.url}/api/v1/verify`, {
      headers: { 'content-type': 'application/pdf', 'content-length': big.length, expect: '100-continue' },
      body: (r) => r.on('continue', () => r.end(big)),
    });
    expect(expect100.status).toBe(413);
    expect(expect100.sawContinue).toBe(false);

    // Expect: 100-continue within the limit: continue, then a report.
    const ok = await rawRequest(`${api.url}/api/v1/verify`, {
      headers: { 'content-type': 'application/pdf', 'content-length': signed.length, expect: '100-continue' },
      body: (r) => r.on('continue', () => r.end(signed)),
    });
    expect(ok.status).toBe(200);
    expect(ok.sawContinue).toBe(true);

    // Still serving.
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    expectPassed((await (await post(signed, 'application/pdf')).json()) as ValidationReport);
  });
});

describe('other routes', () => {
  it('GET /healthz', async () => {
    const res = await fetch(`${api.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: VERSION });
    expect(VERSION).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });

  it('unknown routes are 404 problem+json; a wrong method is 405 with Allow', async () => {
    const p = await expectProblem(await fetch(`${api.url}/api/v1/nope`), 404, 'NOT_FOUND');
    expect(p.detail_en).toMatch(/\/api\/v1\/nope/);
    const m = await fetch(`${api.url}/api/v1/verify`);
    await expectProblem(m, 405, 'METHOD_NOT_ALLOWED');
    expect(m.headers.get('allow')).toBe('POST');
    await expectProblem(await fetch(`${api.url}/healthz`, { method: 'DELETE' }), 405);
  });
});

describe('time limit with worker threads', () => {
  it('an OCSP responder that never answers: 503 at the time limit, the worker is replaced and the next request works', async () => {
    // Accepts connections and never answers.
    const sockets: Socket[] = [];
    const silent = createNetServer((sock) => sockets.push(sock));
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const s = await startHttpServer({
      trust: TrustStore.demo(),
      policy: defaultPolicy(),
      network: { rewrite: { [Object.keys(pki.rewrite)[0]!]: silentUrl }, timeoutMs: 20_000 },
      validationTimeoutMs: 800,
      workers: 1,
    });
    try {
      expect(s.workers).toBe(1);
      const t = performance.now();
      const res = await post(signed, 'application/pdf', '', s.url);
      await expectProblem(res, 503, 'VALIDATION_TIMEOUT');
      expect(performance.now() - t).toBeLessThan(5000);
      // The replacement worker answers (offline: no fetch to the silent server).
      const again = await post(signed, 'application/pdf', '?offline=true', s.url);
      expect(again.status).toBe(200);
      expect(((await again.json()) as ValidationReport).signatures).toHaveLength(1);
    } finally {
      await s.close(500);
      for (const sock of sockets) sock.destroy();
      silent.close();
    }
  });
});

describe('limits and faults (substituted validators)', () => {
  const servers: HttpServerHandle[] = [];
  const start = async (verifier: Verifier, extra: { validationTimeoutMs?: number; maxConcurrent?: number } = {}) => {
    const logged: string[] = [];
    const s = await startHttpServer({ trust: TrustStore.demo(), policy: defaultPolicy(), verifier, log: (l) => logged.push(l), ...extra });
    servers.push(s);
    return { s, logged };
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close(500)));
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('a validation over the time limit is a 503 problem with Retry-After', async () => {
    const { s } = await start(async () => {
      await sleep(2000);
      throw new Error('too late');
    }, { validationTimeoutMs: 100 });
    const res = await post(signed, 'application/pdf', '', s.url);
    await expectProblem(res, 503, 'VALIDATION_TIMEOUT');
    expect(res.headers.get('retry-after')).toBeTruthy();
  });

  it('more validations in progress than allowed → 503 OVERLOADED', async () => {
    const { s } = await start(async () => {
      await sleep(300);
      return { signatures: [] } as unknown as ValidationReport;
    }, { maxConcurrent: 1 });
    const [a, b] = await Promise.all([post(signed, 'application/pdf', '', s.url), sleep(50).then(() => post(signed, 'application/pdf', '', s.url))]);
    expect(a.status).toBe(200);
    await expectProblem(b, 503, 'OVERLOADED');
  });

  it('an internal error is a 500 problem that leaks nothing, and is logged', async () => {
    const { s, logged } = await start(async () => {
      throw new Error('secret internal detail /etc/kyso');
    });
    const res = await post(signed, 'application/pdf', '', s.url);
    const text = await res.clone().text();
    await expectProblem(res, 500, 'INTERNAL');
    expect(text).not.toMatch(/secret|\/etc\/kyso/);
    expect(logged.join('\n')).toMatch(/secret internal detail/);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });
});
