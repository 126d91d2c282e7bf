// validateCms against real signatures and the real test PKI server (OCSP, CRL, TSA): no mocks.
import { createHash } from 'node:crypto';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { parseCms } from '../../src/pki/cms/cms-parser.ts';
import { checkOcsp } from '../../src/pki/ocsp-client.ts';
import { startTestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { requestTimestamp } from '../../src/pki/tsp-client.ts';
import { validateCms } from '../../src/verify/cms-validator.ts';
import { clearRevocationCache } from '../../src/verify/revocation-validator.ts';
import {
  certDer,
  check,
  content,
  contextFor,
  failures,
  flipped,
  identityUnder,
  opensslSign,
  rewriteCertificates,
  sameBytes,
  sign,
  untrustedIdentity,
} from './cms-test-helpers.ts';

const pki = useTestPkiServer();

const REVOKED_AT = new Date('2025-09-15T03:00:00Z');

async function validate(cms: Uint8Array, o: { parts?: readonly Uint8Array[]; claimed?: Date | null; offline?: boolean; embedded?: { certificates?: Uint8Array[]; ocspResponses?: Uint8Array[]; crls?: Uint8Array[] } } = {}) {
  return validateCms(
    {
      kind: 'signature',
      cms,
      signedContent: o.parts ?? content,
      ...(o.claimed === null ? {} : { claimedSigningTime: o.claimed ?? new Date() }),
      ...(o.embedded ? { embedded: { certificates: [], ocspResponses: [], crls: [], ...o.embedded } } : {}),
    },
    contextFor(pki.server, o.offline ? { offline: true } : {}),
  );
}

describe('valid signatures pass every check', () => {
  const cases = [
    { name: 'RSASSA-PSS SHA-256 (person)', id: 'person-vpcp', scheme: 'RSASSA-PSS', digest: 'SHA-256', alg: 'RSASSA-PSS/SHA-256 (2048)' },
    { name: 'RSA PKCS#1 v1.5 SHA-256 (seal)', id: 'vpcp-seal', scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256', alg: 'RSASSA-PKCS1-v1_5/SHA-256 (2048)' },
    { name: 'RSASSA-PSS SHA-512', id: 'person-province', scheme: 'RSASSA-PSS', digest: 'SHA-512', alg: 'RSASSA-PSS/SHA-512 (2048)' },
    { name: 'ECDSA P-256 SHA-256 (person)', id: 'person-ministry', scheme: 'ECDSA', digest: 'SHA-256', alg: 'ECDSA/SHA-256 (256)' },
    { name: 'ECDSA P-256 SHA-384 (seal)', id: 'ministry-seal', scheme: 'ECDSA', digest: 'SHA-384', alg: 'ECDSA/SHA-384 (256)' },
  ] as const;
  for (const c of cases) {
    it(c.name, async () => {
      const cms = await sign(c.id, { scheme: c.scheme, digest: c.digest });
      const r = await validate(cms);
      expect(failures(r)).toEqual([]);
      const notPassed = r.checks.filter((x) => x.status !== 'PASSED').map((x) => `${x.id}:${x.status}`);
      // Without a timestamp the signing time is only claimed (warning) and there is no token to check (info).
      expect(notPassed).toEqual(['SIGNING_TIME:WARNING', 'TIMESTAMP:INFO']);
      expect(check(r, 'SIGNING_TIME').message.vi).toContain('chỉ có thời gian ký do người ký khai'.replace(/^c/, 'C'));
      expect(r.level).toBe('B-B');
      expect(r.algorithm).toBe(c.alg);
      expect(r.proofOfExistence).toBeUndefined();
      expect(r.hasSigningTimeAttribute).toBe(false);
      expect(r.chain?.map((d) => sameBytes(d, certDer(c.id)) || sameBytes(d, certDer('ca')) || sameBytes(d, certDer('root-ca')))).toEqual([true, true, true]);
      expect(sameBytes(r.chain![2]!, certDer('root-ca'))).toBe(true);
      expect(sameBytes(r.signingCertificate!, certDer(c.id))).toBe(true);
    });
  }

  it('fills the signer report with the subject fields (TT 15 Art. 6(4)(b))', async () => {
    const r = await validate(await sign('person-ministry'));
    const i = testPki.identity('person-ministry');
    expect(r.signer).toEqual({
      commonName: 'Trần Thị Bích Ngọc',
      organization: 'Bộ Tư pháp',
      organizationalUnit: 'Văn phòng Bộ',
      title: 'Phó Chánh Văn phòng',
      certificateSerial: i.serialHex,
      certificateSha256: createHash('sha256').update(certDer('person-ministry')).digest('hex'),
      subject: 'CN=Trần Thị Bích Ngọc, T=Phó Chánh Văn phòng, OU=Văn phòng Bộ, O=Bộ Tư pháp, L=Hà Nội, C=VN',
      issuer: 'CN=Test Ban Cơ yếu CA, OU=Cục Chứng thực số và Bảo mật thông tin, O=Ban Cơ yếu Chính phủ (THỬ NGHIỆM), C=VN',
      notBefore: '2025-04-01T07:00:00+07:00',
      notAfter: '2028-04-01T06:59:59+07:00',
    });
    const seal = await validate(await sign('vpcp-seal'));
    expect(seal.signer?.serialNumber).toBe('000.00.00.G22');
  });

  it('accepts a signature made by openssl cms (CAdES-BES), reporting its signing-time as non-PAdES', async () => {
    const cms = await opensslSign('person-vpcp', ['-md', 'sha256', '-cades']);
    const r = await validate(cms, { claimed: null });
    expect(failures(r)).toEqual(['PADES_ATTRIBUTES:FORMAT_FAILURE']);
    expect(r.hasSigningTimeAttribute).toBe(true);
    expect(check(r, 'SIGNING_CERTIFICATE_REFERENCE').status).toBe('PASSED');
    // The CMS signing-time attribute serves as the claimed time.
    expect(Math.abs(r.signingTimeUsed.getTime() - Date.now())).toBeLessThan(120_000);
  });

  it('reads BER (indefinite-length) CMS as openssl -stream writes it; encapsulated content is refused', async () => {
    const cms = await opensslSign('person-vpcp', ['-md', 'sha256', '-cades', '-stream']);
    expect(Buffer.from(cms).indexOf(Buffer.from([0x30, 0x80]))).toBeGreaterThanOrEqual(0);
    const parsed = parseCms(cms);
    expect(Buffer.from(parsed.eContent!).equals(Buffer.concat(content.map((c) => Buffer.from(c))))).toBe(true);
    expect(parsed.certificates).toHaveLength(2);
    expect(parsed.signer.essVersion).toBe(2);
    const r = await validate(cms);
    expect(check(r, 'CMS_STRUCTURE')).toMatchObject({ status: 'FAILED', subIndication: 'FORMAT_FAILURE' });
    expect(check(r, 'CMS_STRUCTURE').message.en).toContain('detached');
  });
});

describe('integrity and signature value', () => {
  it('a flipped byte in the signed content → MESSAGE_DIGEST HASH_FAILURE', async () => {
    const cms = await sign('person-vpcp');
    const parts = [flipped(content[0]!, 100), content[1]!];
    const r = await validate(cms, { parts });
    expect(check(r, 'MESSAGE_DIGEST')).toMatchObject({ status: 'FAILED', subIndication: 'HASH_FAILURE' });
    expect(check(r, 'MESSAGE_DIGEST').message.vi).toContain('Dữ liệu đã bị thay đổi sau khi ký');
    expect(check(r, 'SIGNATURE_VALUE').status).toBe('PASSED'); // the attributes themselves are intact
  });

  it('a tampered signature value → SIGNATURE_VALUE SIG_CRYPTO_FAILURE', async () => {
    for (const id of ['person-vpcp', 'person-ministry'] as const) {
      const cms = await sign(id);
      const sig = parseCms(cms).signer.signature;
      const at = Buffer.from(cms).indexOf(Buffer.from(sig)) + 10;
      const r = await validate(flipped(cms, at));
      expect(check(r, 'SIGNATURE_VALUE')).toMatchObject({ status: 'FAILED', subIndication: 'SIG_CRYPTO_FAILURE' });
      expect(check(r, 'MESSAGE_DIGEST').status).toBe('PASSED');
    }
  });

  it('a tampered signed attribute (message-digest) → HASH_FAILURE and SIG_CRYPTO_FAILURE', async () => {
    const cms = await sign('person-vpcp');
    const md = parseCms(cms).signer.messageDigest!;
    const r = await validate(flipped(cms, Buffer.from(cms).indexOf(Buffer.from(md))));
    expect(failures(r)).toEqual(expect.arrayContaining(['MESSAGE_DIGEST:HASH_FAILURE', 'SIGNATURE_VALUE:SIG_CRYPTO_FAILURE']));
  });

  it('garbage, truncated or non-SignedData input → CMS_STRUCTURE FORMAT_FAILURE, never an exception', async () => {
    const cms = await sign('person-vpcp');
    for (const bad of [new Uint8Array([1, 2, 3]), cms.subarray(0, cms.length - 40), new Uint8Array(0), certDer('ca')]) {
      const r = await validate(bad);
      expect(check(r, 'CMS_STRUCTURE')).toMatchObject({ status: 'FAILED', subIndication: 'FORMAT_FAILURE' });
      expect(r.checks.filter((c) => c.status === 'FAILED')).toHaveLength(1);
      expect(r.checks.filter((c) => c.status === 'NOT_RUN').length).toBe(13);
    }
  });

  it('damaged signatures (random bit flips) never make validateCms throw', async () => {
    const cms = await sign('person-ministry', { tsa: pki.server });
    const ctx = contextFor(undefined, { offline: true });
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 150; i++) {
      const b = Uint8Array.from(cms);
      b[rnd() % b.length] ^= 1 << rnd() % 8;
      const r = await validateCms({ kind: 'signature', cms: b, signedContent: content }, ctx);
      expect(r.checks).toHaveLength(14);
      for (const c of r.checks) if (c.status === 'FAILED') expect(c.subIndication).toBeDefined();
    }
  });

  it('no signed content → SIGNED_DATA_NOT_FOUND', async () => {
    const r = await validate(await sign('person-vpcp'), { parts: [] });
    expect(check(r, 'MESSAGE_DIGEST')).toMatchObject({ status: 'FAILED', subIndication: 'SIGNED_DATA_NOT_FOUND' });
  });
});

describe('signing certificate and trust', () => {
  it('CMS without the signer certificate → NO_SIGNING_CERTIFICATE_FOUND; found again in the document /DSS', async () => {
    const signerDer = certDer('person-vpcp');
    const cms = rewriteCertificates(await sign('person-vpcp'), (d) => !sameBytes(d, signerDer));
    expect(parseCms(cms).certificates).toHaveLength(2);
    const r = await validate(cms);
    expect(check(r, 'SIGNING_CERTIFICATE_FOUND')).toMatchObject({ status: 'FAILED', subIndication: 'NO_SIGNING_CERTIFICATE_FOUND' });
    expect(check(r, 'SIGNATURE_VALUE').status).toBe('NOT_RUN');
    expect(r.signer).toBeUndefined();

    const withDss = await validate(cms, { embedded: { certificates: [signerDer] } });
    expect(failures(withDss)).toEqual([]);
  });

  it('untrusted root (self-made CA) → NO_CERTIFICATE_CHAIN_FOUND', async () => {
    const fake = await untrustedIdentity();
    const cms = await sign('person-vpcp', { signer: fake.signer });
    const r = await validate(cms);
    expect(check(r, 'CERTIFICATE_CHAIN')).toMatchObject({ status: 'FAILED', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
    expect(check(r, 'CERTIFICATE_CHAIN').message.vi).toContain('Fake NEAC Root');
    expect(check(r, 'SIGNATURE_VALUE').status).toBe('PASSED');
    expect(check(r, 'REVOCATION').status).toBe('NOT_RUN');
    expect(r.signer?.commonName).toBe('Nguyễn Giả Mạo');
  });

  it('missing intermediate: fetched from caIssuers (AIA) online, not found offline', async () => {
    const caDer = certDer('ca');
    const cms = rewriteCertificates(await sign('person-vpcp'), (d) => !sameBytes(d, caDer));
    const before = pki.server.requests.certs;
    const online = await validate(cms);
    expect(check(online, 'CERTIFICATE_CHAIN').status).toBe('PASSED');
    expect(pki.server.requests.certs).toBeGreaterThan(before);

    const offline = await validate(cms, { offline: true });
    expect(check(offline, 'CERTIFICATE_CHAIN')).toMatchObject({ status: 'FAILED', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
  });

  it('a certificate without document-signing usage → KEY_USAGE CHAIN_CONSTRAINTS_FAILURE', async () => {
    const tlsOnly = await identityUnder('ca', { ext: 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyEncipherment\n' });
    const r = await validate(await sign('person-vpcp', { signer: tlsOnly.signer }));
    expect(check(r, 'KEY_USAGE')).toMatchObject({ status: 'FAILED', subIndication: 'CHAIN_CONSTRAINTS_FAILURE' });
    const tsaCert = await identityUnder('ca', { ext: 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n' });
    const r2 = await validate(await sign('person-vpcp', { signer: tsaCert.signer }));
    expect(check(r2, 'KEY_USAGE')).toMatchObject({ status: 'FAILED', subIndication: 'CHAIN_CONSTRAINTS_FAILURE' });
  });

  it('a path through a non-CA certificate → CERTIFICATE_CHAIN CHAIN_CONSTRAINTS_FAILURE', async () => {
    // Issued with the person's key: the CMS carries the person's certificate, the CA comes from caIssuers.
    const underLeaf = await identityUnder('person-vpcp');
    const r = await validate(await sign('person-vpcp', { signer: underLeaf.signer }));
    expect(check(r, 'CERTIFICATE_CHAIN')).toMatchObject({ status: 'FAILED', subIndication: 'CHAIN_CONSTRAINTS_FAILURE' });
    expect(check(r, 'CERTIFICATE_CHAIN').message.vi).toContain('không phải chứng thư CA');
  });
});

describe('algorithms (TT 15/2025 Annex I)', () => {
  it('SHA-1 signature → ALGORITHMS CRYPTO_CONSTRAINTS_FAILURE (the value itself still verifies)', async () => {
    const cms = await opensslSign('person-vpcp', ['-md', 'sha1']);
    const r = await validate(cms);
    expect(parseCms(cms).signer.digest).toBe('SHA-1');
    expect(check(r, 'ALGORITHMS')).toMatchObject({ status: 'FAILED', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE' });
    expect(check(r, 'ALGORITHMS').message.vi).toContain('SHA-1');
    expect(check(r, 'SIGNATURE_VALUE').status).toBe('PASSED');
    expect(check(r, 'MESSAGE_DIGEST').status).toBe('PASSED');
  });

  it('RSA-1024 signing key → ALGORITHMS CRYPTO_CONSTRAINTS_FAILURE', async () => {
    const weak = await identityUnder('ca', { rsaBits: 1024, cn: 'Khóa yếu' });
    const r = await validate(await sign('person-vpcp', { signer: weak.signer, scheme: 'RSASSA-PKCS1-v1_5' }));
    expect(check(r, 'ALGORITHMS')).toMatchObject({ status: 'FAILED', subIndication: 'CRYPTO_CONSTRAINTS_FAILURE' });
    expect(check(r, 'ALGORITHMS').message.en).toContain('1024-bit RSA key');
    expect(check(r, 'SIGNATURE_VALUE').status).toBe('PASSED');
    expect(check(r, 'CERTIFICATE_CHAIN').status).toBe('PASSED');
  });
});

describe('revocation', () => {
  it('revoked signer, claimed signing time after the revocation → REVOKED', async () => {
    const r = await validate(await sign('revoked-signer'));
    expect(check(r, 'REVOCATION')).toMatchObject({ status: 'FAILED', subIndication: 'REVOKED' });
    expect(check(r, 'REVOCATION').message.vi).toContain('bị thu hồi lúc 2025-09-15T10:00:00+07:00');
    expect(check(r, 'REVOCATION').message.vi).toContain('khoá bí mật bị lộ');
  });

  it('revoked signer, claimed time before the revocation, no timestamp → REVOKED_NO_POE', async () => {
    const r = await validate(await sign('revoked-signer'), { claimed: new Date('2025-09-01T00:00:00Z') });
    expect(check(r, 'REVOCATION')).toMatchObject({ status: 'FAILED', subIndication: 'REVOKED_NO_POE' });
  });

  it('revoked signer with a timestamp after the revocation → REVOKED', async () => {
    const r = await validate(await sign('revoked-signer', { tsa: pki.server }));
    expect(r.proofOfExistence).toBeDefined();
    expect(check(r, 'REVOCATION')).toMatchObject({ status: 'FAILED', subIndication: 'REVOKED' });
  });

  it('revoked signer with a timestamp before the revocation → still valid', async () => {
    const poe = new Date('2025-09-01T08:00:00Z');
    const past = await startTestPkiServer({ now: () => poe });
    try {
      const r = await validate(await sign('revoked-signer', { tsa: past }), { claimed: new Date('2025-09-01T07:59:00Z') });
      expect(r.proofOfExistence?.getTime()).toBe(poe.getTime());
      expect(check(r, 'REVOCATION').status).toBe('PASSED');
      expect(check(r, 'REVOCATION').message.vi).toContain('chữ ký vẫn có hiệu lực');
      expect(failures(r)).toEqual([]);
      expect(REVOKED_AT.getTime()).toBeGreaterThan(poe.getTime());
    } finally {
      await past.close();
    }
  });

  it('OCSP and CRL both unreachable → REVOCATION FAILED TRY_LATER (never passed)', async () => {
    pki.server.setOffline({ ocsp: true, crl: true });
    const r = await validate(await sign('person-vpcp'));
    expect(check(r, 'REVOCATION')).toMatchObject({ status: 'FAILED', subIndication: 'TRY_LATER' });
    expect(check(r, 'REVOCATION').message.vi).toContain('Không xác định được tình trạng thu hồi');
    expect(check(r, 'REVOCATION').message.vi).toContain('không truy cập được máy chủ OCSP và CRL');
    expect(check(r, 'REVOCATION').message.en).toMatch(/OCSP.*CRL/);
    expect(check(r, 'REVOCATION_FRESHNESS').status).not.toBe('PASSED');
  });

  it('OCSP unreachable only → the CRL decides', async () => {
    pki.server.setOffline({ ocsp: true });
    const crlBefore = pki.server.requests.crl;
    const r = await validate(await sign('person-vpcp'));
    expect(check(r, 'REVOCATION').status).toBe('PASSED');
    expect(check(r, 'REVOCATION').message.en).toContain('online CRL');
    expect(pki.server.requests.crl).toBeGreaterThan(crlBefore);

    const revoked = await validate(await sign('revoked-signer'));
    expect(check(revoked, 'REVOCATION')).toMatchObject({ status: 'FAILED', subIndication: 'REVOKED' });
    expect(check(revoked, 'REVOCATION').message.en).toContain('CRL');
  });

  it('offline with embedded OCSP responses → passes without touching the network', async () => {
    const claimed = new Date(Date.now() - 1000); // signed before the answers were fetched (REVOCATION_FRESHNESS)
    const net = { rewrite: pki.server.rewrite };
    const leafOcsp = await checkOcsp(certDer('person-vpcp'), certDer('ca'), net);
    const caOcsp = await checkOcsp(certDer('ca'), certDer('root-ca'), net);
    const cms = await sign('person-vpcp');
    clearRevocationCache();
    const before = pki.server.requests.total;
    const r = await validate(cms, { claimed, offline: true, embedded: { ocspResponses: [leafOcsp.responseDer, caOcsp.responseDer] } });
    expect(pki.server.requests.total).toBe(before);
    expect(failures(r)).toEqual([]);
    expect(check(r, 'REVOCATION').message.vi).toContain('theo OCSP lưu trong tài liệu');

    // Offline without the embedded data: undetermined, not passed.
    const none = await validate(cms, { offline: true });
    expect(check(none, 'REVOCATION')).toMatchObject({ status: 'FAILED', subIndication: 'TRY_LATER' });
    expect(pki.server.requests.total).toBe(before);
  });

  it('embedded CRLs work offline too, and a revoked entry in them is found', async () => {
    const claimed = new Date(Date.now() - 1000);
    const caCrl = new Uint8Array(await (await fetch(`${pki.server.url}/crl/ca.crl`)).arrayBuffer());
    const rootCrl = new Uint8Array(await (await fetch(`${pki.server.url}/crl/root.crl`)).arrayBuffer());
    const good = await validate(await sign('person-vpcp'), { claimed, offline: true, embedded: { crls: [caCrl, rootCrl] } });
    expect(failures(good)).toEqual([]);
    expect(check(good, 'REVOCATION').message.vi).toContain('theo CRL lưu trong tài liệu');
    const bad = await validate(await sign('revoked-signer'), { offline: true, embedded: { crls: [caCrl, rootCrl] } });
    expect(check(bad, 'REVOCATION')).toMatchObject({ status: 'FAILED', subIndication: 'REVOKED' });
  });

  it('revocation data older than the signing time → REVOCATION_FRESHNESS fails (a warning by policy)', async () => {
    const net = { rewrite: pki.server.rewrite };
    const leafOcsp = await checkOcsp(certDer('person-vpcp'), certDer('ca'), net);
    const caOcsp = await checkOcsp(certDer('ca'), certDer('root-ca'), net);
    const r = await validate(await sign('person-vpcp'), { offline: true, claimed: new Date(Date.now() + 10 * 60_000), embedded: { ocspResponses: [leafOcsp.responseDer, caOcsp.responseDer] } });
    expect(check(r, 'REVOCATION').status).toBe('PASSED');
    expect(check(r, 'REVOCATION_FRESHNESS')).toMatchObject({ status: 'FAILED', subIndication: 'TRY_LATER' });
  });

  it('answers are cached: a second validation asks no responder', async () => {
    const cms = await sign('person-vpcp');
    await validate(cms);
    const before = pki.server.requests.total;
    const again = await validate(cms, { claimed: new Date(Date.now() - 60_000) });
    expect(failures(again)).toEqual([]);
    expect(pki.server.requests.total).toBe(before);
  });
});

describe('certificate validity', () => {
  it('expired signer, claimed time after expiry → EXPIRED', async () => {
    const r = await validate(await sign('expired-signer'));
    expect(check(r, 'CERTIFICATE_VALIDITY')).toMatchObject({ status: 'FAILED', subIndication: 'EXPIRED' });
  });

  it('expired signer, no claimed time or a claimed time within validity, no timestamp → OUT_OF_BOUNDS_NO_POE', async () => {
    const cms = await sign('expired-signer');
    const noTime = await validate(cms, { claimed: null });
    expect(check(noTime, 'CERTIFICATE_VALIDITY')).toMatchObject({ status: 'FAILED', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
    const backdated = await validate(cms, { claimed: new Date('2024-06-01T00:00:00Z') });
    expect(check(backdated, 'CERTIFICATE_VALIDITY')).toMatchObject({ status: 'FAILED', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
    expect(check(backdated, 'CERTIFICATE_VALIDITY').message.vi).toContain('không có dấu thời gian');
  });

  it('expired signer with a timestamp (POE after expiry) → EXPIRED', async () => {
    const r = await validate(await sign('expired-signer', { tsa: pki.server }));
    expect(r.proofOfExistence).toBeDefined();
    expect(check(r, 'CERTIFICATE_VALIDITY')).toMatchObject({ status: 'FAILED', subIndication: 'EXPIRED' });
    expect(check(r, 'CERTIFICATE_VALIDITY').message.vi).toContain('theo dấu thời gian');
  });

  it('a validation time (--at) before the certificate was issued → NOT_YET_VALID, even with a later claimed time', async () => {
    const r = await validateCms(
      { kind: 'signature', cms: await sign('person-vpcp'), signedContent: content, claimedSigningTime: new Date() },
      contextFor(pki.server, { at: new Date('2024-06-01T00:00:00Z') }),
    );
    expect(check(r, 'CERTIFICATE_VALIDITY')).toMatchObject({ status: 'FAILED', subIndication: 'NOT_YET_VALID' });
    expect(check(r, 'CERTIFICATE_VALIDITY').message.vi).toContain('tại thời điểm kiểm tra');
  });

  it('claimed time before the certificate existed → NOT_YET_VALID', async () => {
    const r = await validate(await sign('person-vpcp'), { claimed: new Date('2025-03-01T00:00:00Z') });
    expect(check(r, 'CERTIFICATE_VALIDITY')).toMatchObject({ status: 'FAILED', subIndication: 'NOT_YET_VALID' });
  });
});

describe('timestamps (B-T, B-LT)', () => {
  it('a valid signature timestamp gives POE = genTime and level B-T', async () => {
    const before = Date.now();
    const r = await validate(await sign('person-vpcp', { tsa: pki.server }));
    expect(failures(r)).toEqual([]);
    expect(r.level).toBe('B-T');
    const poe = r.proofOfExistence!.getTime();
    expect(poe).toBeGreaterThanOrEqual(before - 1000);
    expect(poe).toBeLessThanOrEqual(Date.now() + 1000);
    expect(r.signingTimeUsed.getTime()).toBe(poe);
    expect(check(r, 'TIMESTAMP').status).toBe('PASSED');
    expect(check(r, 'SIGNING_TIME').status).toBe('PASSED');
    expect(r.timestamp).toMatchObject({ tsa: 'Test Ban Cơ yếu TSA', valid: true });
    expect(r.timestamp!.time).toMatch(/\+07:00$/);
  });

  it('B-LT: with every OCSP answer embedded (signer, CA, TSA), offline', async () => {
    const net = { rewrite: pki.server.rewrite };
    const cms = await sign('person-ministry', { tsa: pki.server });
    const ocsps = await Promise.all([
      checkOcsp(certDer('person-ministry'), certDer('ca'), net),
      checkOcsp(certDer('ca'), certDer('root-ca'), net),
      checkOcsp(certDer('tsa'), certDer('ca'), net),
    ]);
    clearRevocationCache();
    const before = pki.server.requests.total;
    const r = await validate(cms, { offline: true, embedded: { ocspResponses: ocsps.map((o) => o.responseDer) } });
    expect(pki.server.requests.total).toBe(before);
    expect(failures(r)).toEqual([]);
    expect(r.level).toBe('B-LT');
    // Without the TSA's OCSP answer, the timestamp cannot be validated offline: B-B, TIMESTAMP undetermined.
    const partial = await validate(cms, { offline: true, embedded: { ocspResponses: ocsps.slice(0, 2).map((o) => o.responseDer) } });
    expect(check(partial, 'TIMESTAMP')).toMatchObject({ status: 'FAILED', subIndication: 'TRY_LATER' });
    expect(partial.proofOfExistence).toBeUndefined();
  });

  it('a tampered timestamp token → TIMESTAMP FAILED, no POE', async () => {
    const cms = await sign('person-vpcp', { tsa: pki.server });
    const token = parseCms(cms).signer.signatureTimestamps[0]!;
    const tokenSig = parseCms(token).signer.signature;
    const at = Buffer.from(cms).indexOf(Buffer.from(tokenSig)) + 5;
    const r = await validate(flipped(cms, at));
    expect(check(r, 'TIMESTAMP')).toMatchObject({ status: 'FAILED', subIndication: 'SIG_CRYPTO_FAILURE' });
    expect(r.proofOfExistence).toBeUndefined();
    expect(r.level).toBe('B-B');
    expect(check(r, 'SIGNATURE_VALUE').status).toBe('PASSED'); // unsigned attributes are outside the signature
  });

  it('a timestamp over another signature value → TIMESTAMP HASH_FAILURE', async () => {
    const stolen = (await requestTimestamp(new Uint8Array([1, 2, 3]), 'SHA-256', { url: `${testPki.baseUrl}/tsa`, rewrite: pki.server.rewrite })).tokenDer;
    const { signCadesDetached } = await import('../../src/pki/cms/cades-detached.ts');
    const { signerOf, contentDigest } = await import('./cms-test-helpers.ts');
    const cms = await signCadesDetached({ signer: signerOf('person-vpcp'), contentDigest: contentDigest(), timestamp: async () => stolen });
    const r = await validate(cms);
    expect(check(r, 'TIMESTAMP')).toMatchObject({ status: 'FAILED', subIndication: 'HASH_FAILURE' });
  });
});

describe('document timestamps (ETSI.RFC3161)', () => {
  const docTs = async (parts: readonly Uint8Array[]) => {
    const h = await import('./cms-test-helpers.ts');
    return (await requestTimestamp({ digest: h.contentDigest('SHA-256', parts) }, 'SHA-256', { url: `${testPki.baseUrl}/tsa`, rewrite: pki.server.rewrite })).tokenDer;
  };

  it('a token over the signed content passes; signer = the TSA', async () => {
    const token = await docTs(content);
    const r = await validateCms({ kind: 'document-timestamp', cms: token, signedContent: content }, contextFor(pki.server));
    expect(failures(r)).toEqual([]);
    expect(r.signer?.commonName).toBe('Test Ban Cơ yếu TSA');
    expect(r.level).toBe('B-T');
    expect(r.proofOfExistence).toBeDefined();
    expect(check(r, 'KEY_USAGE').message.en).toContain('timeStamping');
    expect(check(r, 'TIMESTAMP').status).toBe('PASSED');
    expect(r.hasSigningTimeAttribute).toBe(false);
  });

  it('the same token over other content fails with HASH_FAILURE', async () => {
    const token = await docTs(content);
    const other = [content[0]!, flipped(content[1]!, 3)];
    const r = await validateCms({ kind: 'document-timestamp', cms: token, signedContent: other }, contextFor(pki.server));
    expect(check(r, 'MESSAGE_DIGEST')).toMatchObject({ status: 'FAILED', subIndication: 'HASH_FAILURE' });
    expect(check(r, 'TIMESTAMP')).toMatchObject({ status: 'FAILED', subIndication: 'HASH_FAILURE' });
    expect(r.proofOfExistence).toBeUndefined();
  });

  it('a signature (not a token) given as document timestamp → FORMAT_FAILURE', async () => {
    const r = await validateCms({ kind: 'document-timestamp', cms: await sign('person-vpcp'), signedContent: content }, contextFor(pki.server));
    expect(check(r, 'CMS_STRUCTURE')).toMatchObject({ status: 'FAILED', subIndication: 'FORMAT_FAILURE' });
  });
});


