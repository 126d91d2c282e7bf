// `kyso sign --pkcs11` and `--csc` as a user runs them: the real kyso process, a SoftHSM2 token set up with
// the README's commands, the certs-test CSC service on loopback. PINs and secrets travel in the environment.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSC_TEST_CLIENT, CSC_TEST_PIN, startCscServer, type CscTestServer } from '../../certs-test/csc-server.ts';
import { testPki } from '../../certs-test/index.ts';
import { runKyso, type CliRun } from '../helpers/cli.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { createSoftHsm, SOFTHSM_MODULE, type SoftHsm } from '../helpers/softhsm.ts';
import { makeNssDb } from '../helpers/tools.ts';
import { pdfsigVerdicts, SAMPLE_EDXML, SAMPLE_PDF } from './pkcs11-proof.ts';

const pki = useTestPkiServer();
let hsm: SoftHsm;
let csc: CscTestServer;
let dir: string;
let env: NodeJS.ProcessEnv;
const PIN = '271828';

const kyso = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliRun> => runKyso(args, { cwd: dir, env: { ...env, ...extra } });
const token = (fields: string) => `module=${SOFTHSM_MODULE};token=Văn thư VPCP;${fields}`;

beforeAll(async () => {
  hsm = await createSoftHsm([{ label: 'Văn thư VPCP', pin: PIN, caCertificate: true, keys: [{ identity: 'vpcp-seal', id: '01' }, { identity: 'ministry-seal', id: '02' }] }]);
  csc = await startCscServer();
  dir = mkdtempSync(join(tmpdir(), 'kyso-hsm-cli-'));
  env = { ...process.env, SOFTHSM2_CONF: hsm.conf, KYSO_PKCS11_PIN: PIN, KYSO_PKI_URL_REWRITE: `${testPki.baseUrl}=${pki.server.url}` };
});
afterAll(async () => {
  await csc?.close();
  hsm?.remove();
});

describe('kyso sign --pkcs11', () => {
  it('signs a PDF with the seal key in the token (PIN from KYSO_PKCS11_PIN); pdfsig trusts it, kyso verify passes', async () => {
    const out = join(dir, 'seal.pdf');
    const r = await kyso(['sign', SAMPLE_PDF, '-o', out, '--pkcs11', token('key=vpcp-seal'), '--level', 'B-T', '--tsa', `${pki.server.url}/tsa`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Đã ký B-T lúc/);
    expect(pdfsigVerdicts(readFileSync(out), makeNssDb({ root: testPki.rootPem }))).toEqual(['Signature is Valid. / Certificate is Trusted.']);
    const v = await kyso(['verify', out]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('signs an edXML package with the EC key chosen by id, PIN from pin-env', async () => {
    const out = join(dir, 'package.xml');
    const r = await kyso(['sign', SAMPLE_EDXML, '-o', out, '--pkcs11', token('id=02;pin-env=SEAL_PIN')], { KYSO_PKCS11_PIN: '', SEAL_PIN: PIN });
    expect(r.code, r.stderr).toBe(0);
    // The sample package's attachment is a placeholder, not a PDF, so only the package signature is judged here.
    const v = await kyso(['verify', out]);
    expect(v.stdout).toMatch(/Chữ ký 1\/1 «[^»]+» \(XAdES-BASELINE-B\): Hợp lệ/);
    expect(v.stdout).toMatch(/Signature 1\/1 "[^"]+" \(XAdES-BASELINE-B\): Valid \(TOTAL_PASSED\)/);
    expect(v.stdout).toMatch(/Signer: Bộ Tư pháp/);
  });

  it('wrong PIN exits 4 (like a wrong password) with the reason in Vietnamese then English, and writes nothing', async () => {
    const out = join(dir, 'never.pdf');
    const r = await kyso(['sign', SAMPLE_PDF, '-o', out, '--pkcs11', token('key=vpcp-seal')], { KYSO_PKCS11_PIN: '000000' });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/Sai mã PIN của thiết bị ký "Văn thư VPCP"[\s\S]*Wrong PIN for token "Văn thư VPCP"/);
    expect(() => readFileSync(out)).toThrow();
  });

  it('a missing token exits 4 naming the tokens present; a PIN on the command line exits 2', async () => {
    const missing = await kyso(['sign', SAMPLE_PDF, '-o', join(dir, 'x.pdf'), '--pkcs11', `module=${SOFTHSM_MODULE};token=USB của chánh văn phòng;key=a`]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/present: "Văn thư VPCP"/);
    const pin = await kyso(['sign', SAMPLE_PDF, '-o', join(dir, 'x.pdf'), '--pkcs11', token(`key=vpcp-seal;pin=${PIN}`)]);
    expect(pin.code).toBe(2);
    expect(pin.stderr).toMatch(/pin-env/);
  });

  it('refuses two key stores at once (exit 2)', async () => {
    const r = await kyso(['sign', SAMPLE_PDF, '-o', join(dir, 'x.pdf'), '--pkcs11', token('key=vpcp-seal'), '--p12', testPki.identity('vpcp-seal').p12]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/exactly one key store/);
  });
});

describe('kyso sign --csc', () => {
  const ref = (credential: string) => `url=${csc.url};client-id=${CSC_TEST_CLIENT.id};client-secret-env=CSC_SECRET;credential=${credential};pin-env=CSC_PIN`;

  it('signs a PDF through the remote signing service; pdfsig trusts it', async () => {
    const out = join(dir, 'remote.pdf');
    const r = await kyso(['sign', SAMPLE_PDF, '-o', out, '--csc', ref('ministry-seal')], { CSC_SECRET: CSC_TEST_CLIENT.secret, CSC_PIN: CSC_TEST_PIN });
    expect(r.code, r.stderr).toBe(0);
    expect(pdfsigVerdicts(readFileSync(out), makeNssDb({ root: testPki.rootPem }))).toEqual(['Signature is Valid. / Certificate is Trusted.']);
  });

  it('a wrong client secret exits 4 with the service refusal', async () => {
    const r = await kyso(['sign', SAMPLE_PDF, '-o', join(dir, 'y.pdf'), '--csc', ref('vpcp-seal')], { CSC_SECRET: 'wrong', CSC_PIN: CSC_TEST_PIN });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/từ chối client_id\/client_secret/);
  });
});
