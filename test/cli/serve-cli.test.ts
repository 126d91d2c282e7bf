// `kyso serve` (= npm start) as an operator runs it: a child process with the HTTP API and its own demo PKI
// server, both on ephemeral ports; a file signed against that PKI verifies through the API; SIGTERM stops it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { samples } from '../fixtures/pdf/index.ts';
import { signerOf } from '../helpers/signing.ts';

const ROOT = join(import.meta.dirname, '../..');
let child: ChildProcessWithoutNullStreams | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

function waitFor(re: RegExp, get: () => string, ms = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const m = re.exec(get());
      if (m) return resolve(m);
      if (Date.now() - t0 > ms || child?.exitCode !== null) return reject(new Error(`timed out waiting for ${re}: ${get()}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

describe('kyso serve', () => {
  it('serves the API and the demo PKI, announces demo trust, verifies, and stops on SIGTERM', async () => {
    // A fresh working directory, as on a first start: ./data (PGlite, blobs, private redis-server) is created there.
    const cwd = mkdtempSync(join(tmpdir(), 'kyso-serve-'));
    const env: NodeJS.ProcessEnv = { ...process.env, KYSO_PKI_URL_REWRITE: '' };
    for (const k of ['DATABASE_URL', 'REDIS_URL', 'KYSO_PGLITE_DIR', 'KYSO_BLOB_DIR']) delete env[k];
    child = spawn(process.execPath, [join(ROOT, 'bin/kyso.js'), 'serve', '--port', '0', '--pki-port', '0', '--workers', '1'], { cwd, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const api = (await waitFor(/listening: (http:\/\/\S+)/, () => out))[1]!;
    const rewrite = (await waitFor(/KYSO_PKI_URL_REWRITE=(\S+)=(\S+)/, () => out)).slice(1);
    expect(out).toMatch(/Kho tin cậy THỬ NGHIỆM/);
    expect(out).toMatch(/DEMO trust store/);
    expect(out).toMatch(/Luồng kiểm tra \/ Validation threads: 1/);
    // First start: the demo agencies and their API keys, printed once.
    const vpcpKey = (await waitFor(/000\.00\.00\.G22\s+Văn phòng Chính phủ\s+(kyso_\S+)/, () => out))[1]!;
    const me = await fetch(`${api}/api/v1/me`, { headers: { authorization: `Bearer ${vpcpKey}` } });
    expect(await me.json()).toMatchObject({ role: 'vpcp', agency: { id: '000.00.00.G22' } });
    expect(existsSync(join(cwd, 'data/pg'))).toBe(true);
    expect(existsSync(join(cwd, 'data/redis'))).toBe(true);

    const health = await fetch(`${api}/healthz`);
    expect(await health.json()).toMatchObject({ status: 'ok' });

    // Signed against the served demo PKI (its TSA and OCSP), then verified by the served API.
    const network = { rewrite: { [rewrite[0]!]: rewrite[1]! } };
    const signed = await signDocument(readFileSync(samples.find((s) => s.id === 'pdflib-table')!.file), {
      signer: signerOf('vpcp-seal'),
      level: 'B-T',
      tsaUrl: `${rewrite[1]}/tsa`,
      network,
      revocationCheck: 'require',
    });
    const res = await fetch(`${api}/api/v1/verify`, { method: 'POST', body: new Uint8Array(signed.bytes), headers: { 'content-type': 'application/pdf' } });
    expect(res.status).toBe(200);
    const report = (await res.json()) as ValidationReport;
    expect(report.indication, JSON.stringify(report.signatures[0]?.checks.filter((c) => c.status !== 'PASSED'))).toBe('TOTAL_PASSED');

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code, err).toBe(0);
    expect(out).toMatch(/Đã dừng\. \(Stopped\.\)/);
  });
});
