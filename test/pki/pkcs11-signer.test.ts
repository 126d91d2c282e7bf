// The PKCS#11 signer against a real SoftHSM2 token holding certs-test keys (imported with pkcs11-tool): every
// scheme the Signer contract names, certificates from the token or from files, 50 concurrent signatures, and
// the errors a user meets (wrong PIN, token or key not there, module not loadable, key/cert mix-up, token gone).
import { generateKeyPairSync, sign, verify, X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { resolvePin } from '../../src/pki/keys/key-reference.ts';
import { parsePkcs11Reference } from '../../src/pki/keys/pkcs11-config.ts';
import { ecdsaRawToDer } from '../../src/pki/keys/pkcs11-mechanism.ts';
import { Pkcs11SessionPool } from '../../src/pki/keys/pkcs11-session-pool.ts';
import { Pkcs11Signer } from '../../src/pki/keys/pkcs11-signer.ts';
import type { DigestAlgorithm, SignatureAlgorithm } from '../../src/pki/signer.ts';
import { signerOf } from '../helpers/signing.ts';
import { failure, verifies } from './signer-checks.ts';
import { createSoftHsm, type SoftHsm } from '../helpers/softhsm.ts';
import { tempFile } from '../helpers/tools.ts';

let hsm: SoftHsm;
let rsa: Pkcs11Signer;
let ec: Pkcs11Signer;
/** The same keys with hash=token: combined mechanisms (CKM_SHA256_RSA_PKCS…) where the token has them. */
let rsaOnToken: Pkcs11Signer;
let ecOnToken: Pkcs11Signer;

beforeAll(async () => {
  hsm = await createSoftHsm([
    { label: 'kyso-seal', caCertificate: true, keys: [{ identity: 'vpcp-seal', id: '01' }, { identity: 'ministry-seal', id: '02' }] },
    { label: 'spare', pin: '246810', keys: [{ identity: 'province-seal', id: '07' }, { identity: 'person-vpcp', id: '08', certificate: false }] },
    { label: 'removable', keys: [{ identity: 'province-seal', id: '09' }] },
  ]);
  rsa = await Pkcs11Signer.fromReference(hsm.reference('kyso-seal', { key: 'vpcp-seal' }), hsm.env);
  ec = await Pkcs11Signer.fromReference(hsm.reference('kyso-seal', { id: '02' }), hsm.env);
  rsaOnToken = await Pkcs11Signer.fromReference(hsm.reference('kyso-seal', { key: 'vpcp-seal', hash: 'token' }), hsm.env);
  ecOnToken = await Pkcs11Signer.fromReference(hsm.reference('kyso-seal', { id: '02', hash: 'token' }), hsm.env);
});
afterAll(async () => {
  for (const s of [rsa, ec, rsaOnToken, ecOnToken]) await s?.close();
  hsm?.remove();
});

const DIGESTS: DigestAlgorithm[] = ['SHA-256', 'SHA-384', 'SHA-512'];
const DATA = Buffer.from('Tờ trình số 125/VPCP-KSTT — dữ liệu được ký');

describe('signatures through the token', () => {
  it('reads the certificate by CKA_ID and the issuer chain from the token, and the key shape from the certificate', () => {
    expect(Buffer.from(rsa.certificate).equals(new X509Certificate(testPki.identity('vpcp-seal').certPem()).raw)).toBe(true);
    expect(rsa.chain.map((c) => new X509Certificate(c).subject)).toEqual([new X509Certificate(testPki.identity('ca').certPem()).subject]);
    expect([rsa.keyType, rsa.keyBits]).toEqual(['RSA', 2048]);
    expect(Buffer.from(ec.certificate).equals(new X509Certificate(testPki.identity('ministry-seal').certPem()).raw)).toBe(true);
    expect([ec.keyType, ec.keyBits]).toEqual(['EC', 256]);
  });

  it.each(DIGESTS)('RSA PKCS#1 v1.5 with %s is byte-identical to the in-memory key (hashed on host and on token)', async (digest) => {
    const a: SignatureAlgorithm = { digest, scheme: 'RSASSA-PKCS1-v1_5' };
    const expected = Buffer.from(signerOf('vpcp-seal').signSync(DATA, a));
    expect(Buffer.from(await rsa.sign(DATA, a)).equals(expected)).toBe(true);
    expect(Buffer.from(await rsaOnToken.sign(DATA, a)).equals(expected)).toBe(true);
  });

  it.each(DIGESTS)('RSA-PSS with %s: salt = digest length, MGF1 with the same digest (what KeyObjectSigner emits)', async (digest) => {
    const a: SignatureAlgorithm = { digest, scheme: 'RSASSA-PSS' };
    const sig = await rsa.sign(DATA, a);
    expect(verifies(rsa.certificate, DATA, a, sig)).toBe(true);
    expect(verifies(rsa.certificate, Buffer.from('other data'), a, sig)).toBe(false);
    expect(verifies(rsa.certificate, DATA, a, await rsaOnToken.sign(DATA, a))).toBe(true);
  });

  it.each(DIGESTS)('ECDSA P-256 with %s returns a DER Ecdsa-Sig-Value', async (digest) => {
    const a: SignatureAlgorithm = { digest, scheme: 'ECDSA' };
    const sig = await ec.sign(DATA, a);
    expect(sig[0]).toBe(0x30);
    expect(sig.length).toBeGreaterThanOrEqual(68);
    expect(sig.length).toBeLessThanOrEqual(72);
    expect(verifies(ec.certificate, DATA, a, sig)).toBe(true);
    // SoftHSM 2.6 has no CKM_ECDSA_SHA256…: hash=token falls back to hashing on the host.
    expect(verifies(ec.certificate, DATA, a, await ecOnToken.sign(DATA, a))).toBe(true);
  });

  it('refuses a scheme that does not fit the key', async () => {
    expect((await failure(ec.sign(DATA, { digest: 'SHA-256', scheme: 'RSASSA-PSS' }))).code).toBe('ALGORITHM_UNSUPPORTED');
  });

  it('50 concurrent signatures on both keys all verify (sessions pooled, no operation crosses another)', async () => {
    const jobs = Array.from({ length: 50 }, (_, i) => {
      const data = Buffer.from(`văn bản số ${i}`);
      const s = i % 2 === 0 ? rsa : ec;
      const a: SignatureAlgorithm = { digest: 'SHA-256', scheme: s === rsa ? 'RSASSA-PSS' : 'ECDSA' };
      return s.sign(data, a).then((sig) => verifies(s.certificate, data, a, sig));
    });
    const ok = await Promise.all(jobs);
    expect(ok.filter(Boolean)).toHaveLength(50);
  });

  it('finds the token by slot ID alone (slot= as pkcs11-tool -L and softhsm2-util print it)', async () => {
    const t = hsm.tokens[0]!;
    const s = await Pkcs11Signer.fromReference(`module=${hsm.module};slot=${t.slot};key=vpcp-seal;pin-env=${t.pinEnv}`, hsm.env);
    try {
      expect(s.tokenLabel).toBe('kyso-seal');
    } finally {
      await s.close();
    }
  });

  it('takes certificate and chain from files when configured (cert=, chain=)', async () => {
    const s = await Pkcs11Signer.fromReference(
      hsm.reference('spare', { key: 'person-vpcp', cert: testPki.identity('person-vpcp').cert, chain: testPki.chainPem }),
      hsm.env,
    );
    try {
      expect(new X509Certificate(s.certificate).subject).toBe(new X509Certificate(testPki.identity('person-vpcp').certPem()).subject);
      expect(s.chain).toHaveLength(2);
      const a: SignatureAlgorithm = { digest: 'SHA-256', scheme: 'RSASSA-PSS' };
      expect(verifies(s.certificate, DATA, a, await s.sign(DATA, a))).toBe(true);
    } finally {
      await s.close();
    }
  });
});

describe('errors a user can act on', () => {
  it('wrong PIN → WRONG_PASSWORD, in Vietnamese then English', async () => {
    // The "spare" token has no open signer: PKCS#11 login state is per process and token, so a token already
    // logged in would not check the PIN again.
    const e = await failure(Pkcs11Signer.fromReference(hsm.reference('spare', { key: 'province-seal' }), { ...hsm.env, KYSO_TEST_PIN_1: '000000' }));
    expect(e.code).toBe('WRONG_PASSWORD');
    expect(e.message).toMatch(/^Sai mã PIN của thiết bị ký "spare" \(Wrong PIN for token "spare"/);
  });

  it('PIN from a file (trailing newline ignored); no PIN set → INVALID_ARGUMENT naming the variable', async () => {
    const file = tempFile('pin', '246810\n');
    const s = await Pkcs11Signer.fromReference(hsm.reference('spare', { key: 'province-seal', 'pin-file': file }), hsm.env);
    await s.close();
    const e = await failure(Pkcs11Signer.fromReference(hsm.reference('spare', { key: 'province-seal', 'pin-env': 'KYSO_NO_SUCH_PIN' }), hsm.env));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.en).toMatch(/KYSO_NO_SUCH_PIN/);
  });

  it('token not present → TOKEN_NOT_PRESENT listing the tokens that are', async () => {
    const e = await failure(Pkcs11Signer.fromReference(hsm.reference('kyso-seal', { key: 'vpcp-seal', token: 'Bộ Nội vụ' }), hsm.env));
    expect(e.code).toBe('TOKEN_NOT_PRESENT');
    expect(e.en).toMatch(/^No token token=Bộ Nội vụ is present; present: /);
    for (const label of ['kyso-seal', 'spare', 'removable']) expect(e.en).toMatch(new RegExp(`"${label}" \\(slot \\d+\\)`));
  });

  it('key not found → KEY_NOT_FOUND listing the keys on the token', async () => {
    const e = await failure(Pkcs11Signer.fromReference(hsm.reference('kyso-seal', { key: 'province-seal' }), hsm.env));
    expect(e.code).toBe('KEY_NOT_FOUND');
    expect(e.vi).toMatch(/không có khóa bí mật key=province-seal/);
    expect(e.en).toMatch(/vpcp-seal/);
    expect(e.en).toMatch(/ministry-seal/);
  });

  it('a key without a certificate on the token and none configured → KEY_NOT_FOUND asking for cert=', async () => {
    const e = await failure(Pkcs11Signer.fromReference(hsm.reference('spare', { key: 'person-vpcp' }), hsm.env));
    expect(e.code).toBe('KEY_NOT_FOUND');
    expect(e.en).toMatch(/give cert=FILE/);
  });

  it('module not loadable → PKCS11_MODULE', async () => {
    const e = await failure(Pkcs11Signer.fromReference(hsm.reference('kyso-seal', { key: 'vpcp-seal', module: '/usr/lib/no-such-pkcs11.so' }), hsm.env));
    expect(e.code).toBe('PKCS11_MODULE');
    expect(e.vi).toMatch(/Không nạp được thư viện PKCS#11/);
  });

  it('a configured certificate that does not match the token key → KEY_CERT_MISMATCH', async () => {
    const e = await failure(Pkcs11Signer.fromReference(hsm.reference('kyso-seal', { key: 'vpcp-seal', cert: testPki.identity('province-seal').cert }), hsm.env));
    expect(e.code).toBe('KEY_CERT_MISMATCH');
  });

  it('a token deleted while a signer is open → TOKEN_NOT_PRESENT on the next signature', async () => {
    const s = await Pkcs11Signer.fromReference(hsm.reference('removable', { key: 'province-seal' }), hsm.env);
    try {
      await promisify(execFile)('softhsm2-util', ['--delete-token', '--token', 'removable'], { env: hsm.env });
      const e = await failure(s.sign(DATA, { digest: 'SHA-256', scheme: 'RSASSA-PSS' }));
      expect(e.code).toBe('TOKEN_NOT_PRESENT');
      expect(e.vi).toMatch(/đã bị rút ra hoặc bị thay/);
    } finally {
      await s.close();
    }
  });

  it('close ends the signer: later signatures fail, other signers on the module keep working', async () => {
    const s = await Pkcs11Signer.fromReference(hsm.reference('kyso-seal', { key: 'vpcp-seal' }), hsm.env);
    const pss: SignatureAlgorithm = { digest: 'SHA-256', scheme: 'RSASSA-PSS' };
    // Signatures under way when close() is called finish first.
    const pending = Array.from({ length: 12 }, () => s.sign(DATA, pss));
    await s.close();
    for (const sig of await Promise.all(pending)) expect(verifies(s.certificate, DATA, pss, sig)).toBe(true);
    expect((await failure(s.sign(DATA, pss))).code).toBe('TOKEN_ERROR');
    const a: SignatureAlgorithm = { digest: 'SHA-256', scheme: 'ECDSA' };
    expect(verifies(ec.certificate, DATA, a, await ec.sign(DATA, a))).toBe(true);
  });
});

describe('key references', () => {
  it('parses every field and keeps the PIN out of the reference', () => {
    const r = parsePkcs11Reference('module=/usr/lib/softhsm/libsofthsm2.so; token=VPCP HSM ;id=0A:1b;pin-file=/run/secrets/pin;slot=0x10;pool=8;hash=token;cert=/c.pem;chain=/ch.pem');
    expect(r).toEqual({
      module: '/usr/lib/softhsm/libsofthsm2.so',
      token: 'VPCP HSM',
      keyLabel: undefined,
      keyId: '0a1b',
      pin: { file: '/run/secrets/pin' },
      slot: 16n,
      poolSize: 8,
      hashOnToken: true,
      certificate: '/c.pem',
      chain: '/ch.pem',
    });
    expect(parsePkcs11Reference('module=/m.so;key=seal').pin).toEqual({ env: 'KYSO_PKCS11_PIN' });
    expect(() => parsePkcs11Reference('module=/m.so;key=seal;pin=1234')).toThrow(/Do not put the PIN in the key reference/);
    expect(() => parsePkcs11Reference('token=x;key=seal')).toThrow(/needs module=/);
    expect(() => parsePkcs11Reference('module=/m.so;label=seal')).toThrow(/Unknown field "label"/);
    expect(() => parsePkcs11Reference('module=/m.so;id=xyz')).toThrow(/id must be hex/);
  });

  it('reads the PIN from the named variable', () => {
    expect(resolvePin({ env: 'P' }, { P: '1234' })).toBe('1234');
    expect(() => resolvePin({ env: 'P' }, {})).toThrow(/environment variable P is not set/);
  });
});

describe('building blocks', () => {
  it('r||s from the token becomes a minimal DER Ecdsa-Sig-Value (leading zeros dropped, sign byte added)', () => {
    const raw = Buffer.from('0080' + '0001', 'hex');
    expect(Buffer.from(ecdsaRawToDer(raw)).toString('hex')).toBe('3007020200800201' + '01');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 200; i++) {
      const data = Buffer.from(`m${i}`);
      const p1363 = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, ecdsaRawToDer(p1363))).toBe(true);
    }
  });

  it('the session pool never opens more than its size; waiters get sessions in order, a discarded one is replaced', async () => {
    let opened = 0;
    const closed: number[] = [];
    const pool = new Pkcs11SessionPool(
      () => Buffer.from([++opened]),
      (s) => closed.push(s[0]!),
      2,
    );
    const a = await pool.acquire();
    const b = await pool.acquire();
    const order: number[] = [];
    const c = pool.acquire().then((s) => (order.push(3), s));
    const d = pool.acquire().then((s) => (order.push(4), s));
    expect(opened).toBe(2);
    pool.release(a);
    expect((await c)[0]).toBe(1);
    pool.discard(b);
    expect((await d)[0]).toBe(3);
    expect(order).toEqual([3, 4]);
    expect(closed).toEqual([2]);
    expect(pool.openCount).toBe(2);
    pool.close();
    await expect(pool.acquire()).rejects.toThrow(/closed/);
  });
});
