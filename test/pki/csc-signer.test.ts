// The CSC API v2 remote signer against the certs-test CSC service (real HTTP on loopback, real OpenSSL signing
// the hashes): every scheme, certificates from credentials/info, and the errors a user meets — wrong client
// secret, wrong PIN, expired SAD, unknown credential, service down. Also what the test service promises its
// clients: bearer tokens checked, a SAD used up by its signatures and bound to the hashes it was issued for.
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSC_TEST_CLIENT, CSC_TEST_PIN, startCscServer, type CscTestServer } from '../../certs-test/csc-server.ts';
import { testPki } from '../../certs-test/index.ts';
import { cscSignAlgorithm } from '../../src/pki/keys/csc-algorithms.ts';
import { parseCscReference } from '../../src/pki/keys/csc-config.ts';
import { CscSigner } from '../../src/pki/keys/csc-signer.ts';
import { hash } from '../../src/pki/native-crypto.ts';
import type { DigestAlgorithm, SignatureAlgorithm } from '../../src/pki/signer.ts';
import { signerOf } from '../helpers/signing.ts';
import { failure, verifies } from './signer-checks.ts';

let csc: CscTestServer;
const env = { CSC_SECRET: CSC_TEST_CLIENT.secret, CSC_PIN: CSC_TEST_PIN };
const ref = (credential: string, extra = ''): string =>
  `url=${csc.url};client-id=${CSC_TEST_CLIENT.id};client-secret-env=CSC_SECRET;credential=${credential};pin-env=CSC_PIN${extra}`;

beforeAll(async () => {
  csc = await startCscServer({
    clients: [CSC_TEST_CLIENT, { id: 'province', secret: 'province-secret' }],
    credentials: [
      { id: 'vpcp-seal', identity: 'vpcp-seal', pin: CSC_TEST_PIN, clients: [CSC_TEST_CLIENT.id] },
      { id: 'ministry-seal', identity: 'ministry-seal', pin: CSC_TEST_PIN, clients: [CSC_TEST_CLIENT.id] },
      { id: 'province-seal', identity: 'province-seal', clients: ['province'] },
    ],
  });
});
afterAll(async () => csc?.close());

const DATA = Buffer.from('Công văn số 125/VPCP-KSTT — ký từ xa');
const DIGESTS: DigestAlgorithm[] = ['SHA-256', 'SHA-384', 'SHA-512'];

describe('signing through the CSC service', () => {
  let rsa: CscSigner;
  let ec: CscSigner;
  beforeAll(async () => {
    rsa = await CscSigner.fromReference(ref('vpcp-seal'), env);
    ec = await CscSigner.fromReference(ref('ministry-seal'), env);
  });

  it('takes the certificate and chain from credentials/info', () => {
    expect(Buffer.from(rsa.certificate).equals(new X509Certificate(testPki.identity('vpcp-seal').certPem()).raw)).toBe(true);
    expect(rsa.chain.map((c) => new X509Certificate(c).subject)).toEqual([
      new X509Certificate(testPki.identity('ca').certPem()).subject,
      new X509Certificate(testPki.identity('root-ca').certPem()).subject,
    ]);
    expect([rsa.keyType, rsa.keyBits, ec.keyType, ec.keyBits]).toEqual(['RSA', 2048, 'EC', 256]);
  });

  it.each(DIGESTS)('RSA PKCS#1 v1.5 with %s is byte-identical to the in-memory key', async (digest) => {
    const a: SignatureAlgorithm = { digest, scheme: 'RSASSA-PKCS1-v1_5' };
    expect(Buffer.from(await rsa.sign(DATA, a)).equals(Buffer.from(signerOf('vpcp-seal').signSync(DATA, a)))).toBe(true);
  });

  it.each(DIGESTS)('RSA-PSS with %s (signAlgoParams: MGF1 same digest, salt = digest length) verifies', async (digest) => {
    const a: SignatureAlgorithm = { digest, scheme: 'RSASSA-PSS' };
    expect(verifies(rsa.certificate, DATA, a, await rsa.sign(DATA, a))).toBe(true);
  });

  it.each(DIGESTS)('ECDSA with %s comes back as a DER Ecdsa-Sig-Value that verifies', async (digest) => {
    const a: SignatureAlgorithm = { digest, scheme: 'ECDSA' };
    const sig = await ec.sign(DATA, a);
    expect(sig[0]).toBe(0x30);
    expect(verifies(ec.certificate, DATA, a, sig)).toBe(true);
  });

  it('20 concurrent signatures all verify, each authorised by its own SAD', async () => {
    const before = csc.signatures.get('vpcp-seal') ?? 0;
    const a: SignatureAlgorithm = { digest: 'SHA-256', scheme: 'RSASSA-PSS' };
    const ok = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const data = Buffer.from(`văn bản ${i}`);
        return verifies(rsa.certificate, data, a, await rsa.sign(data, a));
      }),
    );
    expect(ok.filter(Boolean)).toHaveLength(20);
    expect(csc.signatures.get('vpcp-seal')! - before).toBe(20);
  });

  it('picks the only credential a client may use when the reference names none', async () => {
    const s = await CscSigner.fromReference(`url=${csc.url};client-id=province;client-secret-env=P`, { P: 'province-secret' });
    expect(s.credentialId).toBe('province-seal');
    const a: SignatureAlgorithm = { digest: 'SHA-256', scheme: 'RSASSA-PSS' };
    expect(verifies(s.certificate, DATA, a, await s.sign(DATA, a))).toBe(true);
  });
});

describe('errors a user can act on', () => {
  it('wrong client secret → REMOTE_AUTH_FAILED, Vietnamese then English', async () => {
    const e = await failure(CscSigner.fromReference(ref('vpcp-seal'), { ...env, CSC_SECRET: 'not-the-secret' }));
    expect(e.code).toBe('REMOTE_AUTH_FAILED');
    expect(e.message).toMatch(/^Dịch vụ ký số từ xa từ chối client_id\/client_secret của "kyso-test" \(invalid_client\) \(The remote signing service refused/);
  });

  it('wrong PIN → WRONG_PASSWORD at the first signature', async () => {
    const s = await CscSigner.fromReference(ref('vpcp-seal'), { ...env, CSC_PIN: '000000' });
    const e = await failure(s.sign(DATA, { digest: 'SHA-256', scheme: 'RSASSA-PSS' }));
    expect(e.code).toBe('WRONG_PASSWORD');
    expect(e.vi).toBe('Sai mã PIN của khóa "vpcp-seal" trên dịch vụ ký số từ xa');
  });

  it('a credential that needs a PIN, with none configured → INVALID_ARGUMENT asking for pin-env', async () => {
    const e = await failure(CscSigner.fromReference(`url=${csc.url};client-id=kyso-test;client-secret-env=CSC_SECRET;credential=vpcp-seal`, env));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.en).toMatch(/needs a PIN: give pin-env= or pin-file=/);
  });

  it('expired SAD → REMOTE_AUTH_FAILED saying so', async () => {
    const shortLived = await startCscServer({ sadLifetimeSeconds: 0 });
    try {
      const s = await CscSigner.fromReference(`url=${shortLived.url};client-id=kyso-test;client-secret-env=CSC_SECRET;credential=vpcp-seal;pin-env=CSC_PIN`, env);
      const e = await failure(s.sign(DATA, { digest: 'SHA-256', scheme: 'RSASSA-PSS' }));
      expect(e.code).toBe('REMOTE_AUTH_FAILED');
      expect(e.vi).toMatch(/SAD hết hạn hoặc đã dùng\): SAD expired/);
    } finally {
      await shortLived.close();
    }
  });

  it('unknown credential → KEY_NOT_FOUND; a credential of another client is unknown too', async () => {
    expect((await failure(CscSigner.fromReference(ref('no-such-seal'), env))).code).toBe('KEY_NOT_FOUND');
    expect((await failure(CscSigner.fromReference(ref('province-seal'), env))).code).toBe('KEY_NOT_FOUND');
  });

  it('service not reachable → NETWORK', async () => {
    const gone = await startCscServer();
    const url = gone.url;
    await gone.close();
    const e = await failure(CscSigner.fromReference(`url=${url};client-id=kyso-test;client-secret-env=CSC_SECRET`, env));
    expect(e.code).toBe('NETWORK');
  });

  it('references keep secrets out: client-secret=, pin= are refused', () => {
    expect(() => parseCscReference(`url=http://127.0.0.1:1/csc/v2;client-id=a;client-secret=s`)).toThrow(/Do not put client-secret in the key reference/);
    expect(() => parseCscReference(`url=http://127.0.0.1:1/csc/v2;client-id=a;pin=1`)).toThrow(/Do not put pin/);
    expect(parseCscReference('url=https://rs.example.vn/csc/v2/;client-id=a').clientSecret).toEqual({ env: 'KYSO_CSC_CLIENT_SECRET' });
  });
});

describe('the test CSC service keeps its promises', () => {
  let token: string;
  const post = async (path: string, body: unknown, bearer = token): Promise<{ status: number; json: Record<string, unknown> }> => {
    const r = await fetch(`${csc.url}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify(body) });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };
  const h = (s: string): string => Buffer.from(hash('SHA-256', Buffer.from(s))).toString('base64');
  const alg = cscSignAlgorithm({ digest: 'SHA-256', scheme: 'RSASSA-PKCS1-v1_5' });
  const authorize = async (hashes: string[] | undefined, n: number) =>
    post('credentials/authorize', { credentialID: 'vpcp-seal', numSignatures: n, hashes, authData: [{ id: 'PIN', value: CSC_TEST_PIN }] });
  const signHash = (sad: unknown, hashes: string[]) => post('signatures/signHash', { credentialID: 'vpcp-seal', SAD: sad, hashes, ...alg });

  beforeAll(async () => {
    const r = await fetch(`${csc.origin}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CSC_TEST_CLIENT.id, client_secret: CSC_TEST_CLIENT.secret }).toString(),
    });
    token = ((await r.json()) as { access_token: string }).access_token;
  });

  it('refuses calls without a valid bearer token (401 invalid_token)', async () => {
    const r = await post('credentials/list', {}, 'forged');
    expect([r.status, r.json.error]).toEqual([401, 'invalid_token']);
  });

  it('a SAD for one signature cannot sign twice', async () => {
    const { json } = await authorize([h('a')], 1);
    expect((await signHash(json.SAD, [h('a')])).status).toBe(200);
    const again = await signHash(json.SAD, [h('a')]);
    expect([again.status, again.json.error_description]).toEqual([400, 'Invalid SAD: unknown, already used, or for another credential']);
  });

  it('a SAD signs only the hashes it was issued for, and at most numSignatures of them', async () => {
    const { json } = await authorize([h('a'), h('b')], 2);
    expect((await signHash(json.SAD, [h('c')])).json.error_description).toBe('A hash was not authorised by this SAD');
    const open = await authorize(undefined, 2);
    expect((await signHash(open.json.SAD, [h('a'), h('b'), h('c')])).json.error_description).toBe('The SAD authorises 2 more signature(s), not 3');
    const two = await signHash(open.json.SAD, [h('a'), h('b')]);
    expect(two.status).toBe(200);
    expect(two.json.signatures).toHaveLength(2);
  });
});
