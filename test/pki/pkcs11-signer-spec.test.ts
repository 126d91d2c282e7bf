// loadSignerFromSpec: the one key reference the exchange service keeps per agency seal (PKCS#12, PKCS#11 token,
// CSC remote credential) opens a working Signer; bad configuration is refused with what is wrong.
import { constants, verify, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSC_TEST_CLIENT, CSC_TEST_PIN, startCscServer, type CscTestServer } from '../../certs-test/csc-server.ts';
import { testPki } from '../../certs-test/index.ts';
import { describeKeySpec, loadSignerFromSpec, parseKeySpec, type KeySpec } from '../../src/pki/keys/signer-spec.ts';
import { defaultScheme, type SignatureAlgorithm } from '../../src/pki/signer.ts';
import { createSoftHsm, SOFTHSM_MODULE, type SoftHsm } from '../helpers/softhsm.ts';

let hsm: SoftHsm;
let csc: CscTestServer;
const env = { SEAL_PIN: '654321', P12_PASSWORD: testPki.password, CSC_SECRET: CSC_TEST_CLIENT.secret, CSC_PIN: CSC_TEST_PIN };

beforeAll(async () => {
  hsm = await createSoftHsm([{ label: 'Bộ Tư pháp', pin: '654321', keys: [{ identity: 'ministry-seal', id: '0a' }] }]);
  csc = await startCscServer();
});
afterAll(async () => {
  await csc?.close();
  hsm?.remove();
});

const DATA = Buffer.from('gói tin edXML');

describe('loadSignerFromSpec', () => {
  const specs = (): [string, KeySpec, string][] => [
    ['pkcs12 with passwordEnv', { type: 'pkcs12', path: testPki.identity('province-seal').p12, passwordEnv: 'P12_PASSWORD' }, 'province-seal'],
    ['pkcs11 by fields', { type: 'pkcs11', module: SOFTHSM_MODULE, token: 'Bộ Tư pháp', id: '0A', pinEnv: 'SEAL_PIN' }, 'ministry-seal'],
    ['pkcs11 by reference string', { type: 'pkcs11', reference: `module=${SOFTHSM_MODULE};token=Bộ Tư pháp;key=ministry-seal;pin-env=SEAL_PIN` }, 'ministry-seal'],
    [
      'csc',
      { type: 'csc', url: csc.url, clientId: CSC_TEST_CLIENT.id, clientSecretEnv: 'CSC_SECRET', credential: 'vpcp-seal', pinEnv: 'CSC_PIN' },
      'vpcp-seal',
    ],
  ];

  it.each([0, 1, 2, 3])('opens spec #%i and its signatures verify with the right certificate', async (i) => {
    const [, spec, identity] = specs()[i]!;
    const signer = await loadSignerFromSpec(spec, env);
    try {
      expect(new X509Certificate(signer.certificate).subject).toBe(new X509Certificate(testPki.identity(identity as 'vpcp-seal').certPem()).subject);
      const a: SignatureAlgorithm = { digest: 'SHA-256', scheme: defaultScheme(signer.keyType) };
      const sig = await signer.sign(DATA, a);
      const key = new X509Certificate(signer.certificate).publicKey;
      const ok =
        a.scheme === 'RSASSA-PSS'
          ? verify('sha256', DATA, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)
          : verify('sha256', DATA, { key, dsaEncoding: 'der' }, sig);
      expect(ok).toBe(true);
    } finally {
      await signer.close();
    }
  });

  it('describes a key without its secrets', () => {
    const text = specs().map(([, s]) => describeKeySpec(s)).join('\n');
    expect(text).toMatch(/pkcs11:\/usr\/lib\/softhsm\/libsofthsm2.so token=Bộ Tư pháp id=0a/);
    expect(text).toMatch(/csc:http:\/\/127\.0\.0\.1:\d+\/csc\/v2 credential=vpcp-seal/);
    for (const secret of Object.values(env)) expect(text).not.toContain(secret);
  });
});

describe('configuration mistakes are refused with the reason', () => {
  it.each([
    [{ type: 'hsm', module: '/m.so' }, /type: Invalid discriminator value. Expected 'pkcs12' \| 'pkcs11' \| 'csc'/],
    [{ type: 'pkcs11', module: '/m.so', pin: '1234' }, /Unrecognized key: "pin"/],
    [{ type: 'pkcs11', module: '/m.so', pinEnv: 'A', pinFile: '/b' }, /Use only one of pinEnv, pinFile/],
    [{ type: 'pkcs11', token: 'x' }, /needs module or reference/],
    [{ type: 'csc', url: 'not a url', clientId: 'a' }, /url: Invalid URL/],
    [{ type: 'pkcs12', path: '/seal.p12', password: 'x', passwordEnv: 'Y' }, /Use only one of password/],
  ])('%j', (spec, reason) => {
    expect(() => parseKeySpec(spec)).toThrow(reason);
  });

  it('a pkcs12 reference without any password source is refused before the file is read', async () => {
    await expect(loadSignerFromSpec({ type: 'pkcs12', path: '/nonexistent.p12' }, {})).rejects.toThrow(/has no password/);
  });
});
