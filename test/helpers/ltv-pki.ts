// Variants of the committed test PKI for long-term validation tests, made at test time so the committed keys
// and certificates others depend on never change: a copy of certs-test/pki in a temporary directory where the
// TSA is replaced by one with another lifetime, and extra signers issued by the test CA (optionally revoked at a
// chosen time, which the PKI server started on that directory then publishes by OCSP and CRL).
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCertificate, type NameSpec } from '../../certs-test/cert-builder.ts';
import { DEFAULT_TEST_PKI_DIR } from '../../src/pki/responders/test-pki-server.ts';
import { readTestPkiManifest, type TestPkiIdentity } from '../../src/pki/responders/test-pki-manifest.ts';
import { derToPem, nameToString, parseCertificate, serialHex, subjectKeyIdentifier } from '../../src/pki/certificate.ts';
import { KeyObjectSigner } from '../../src/pki/keys/key-object-signer.ts';
import { KeyPurposeOid } from '../../src/pki/oids.ts';
import type { RevocationReason } from '../../src/pki/revocation.ts';

export interface AltPkiOptions {
  /** Replace the TSA with a new key and certificate valid over this period. */
  tsa?: { notBefore: Date; notAfter: Date; commonName: string };
  /** Extra end-entity signers issued by the test CA. */
  signers?: Array<{ id: string; commonName: string; notBefore: Date; notAfter: Date; revocation?: { time: Date; reason: RevocationReason } }>;
}

export interface AltPki {
  dir: string;
  /** The extra signers, ready to sign (chain: the test CA, then the root). */
  signer(id: string): KeyObjectSigner;
  /** Records a revocation in the manifest: PKI servers started on `dir` afterwards publish it (OCSP and CRL). */
  revoke(id: string, time: Date, reason?: RevocationReason): void;
}

const BASE_URL = 'http://127.0.0.1:8400';

export function makeAltPki(o: AltPkiOptions): AltPki {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-altpki-'));
  cpSync(DEFAULT_TEST_PKI_DIR, dir, { recursive: true });
  const manifest = readTestPkiManifest(dir);
  const caId = manifest.identities.find((i) => i.id === 'ca')!;
  const caCert = parseCertificate(readFileSync(join(dir, caId.cert), 'utf8'));
  const caKey = createPrivateKey(readFileSync(join(dir, caId.key)));
  const caDer = new Uint8Array(readFileSync(join(dir, 'ca.cer')));
  const rootDer = new Uint8Array(readFileSync(join(dir, 'root.cer')));
  const issuer = { name: caCert.subject, key: caKey, keyId: subjectKeyIdentifier(caCert)! };
  const urls = { aia: { ocsp: `${BASE_URL}/ocsp`, caIssuers: `${BASE_URL}/certs/ca.cer` }, crlUrl: `${BASE_URL}/crl/ca.crl` };
  const signers = new Map<string, KeyObjectSigner>();

  const issue = (id: string, subject: NameSpec, notBefore: Date, notAfter: Date, tsa: boolean): { der: Uint8Array; key: ReturnType<typeof generateKeyPairSync>['privateKey'] } => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const built = buildCertificate({
      subject,
      serialHex: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
      notBefore,
      notAfter,
      publicKey: createPublicKey(privateKey),
      issuer,
      ...urls,
      keyUsage: ['digitalSignature', 'nonRepudiation'],
      extKeyUsage: tsa ? { purposes: [KeyPurposeOid.timeStamping], critical: true } : { purposes: [KeyPurposeOid.emailProtection, KeyPurposeOid.documentSigning], critical: false },
    });
    writeFileSync(join(dir, `${id}.pem`), derToPem(built.der));
    writeFileSync(join(dir, `${id}.key.pem`), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    return { der: built.der, key: privateKey };
  };
  const identity = (id: string, role: TestPkiIdentity['role'], der: Uint8Array, cn: string, nb: Date, na: Date): TestPkiIdentity => {
    const cert = parseCertificate(der);
    return {
      id,
      role,
      keyType: 'EC',
      keyBits: 256,
      subject: nameToString(cert.subject),
      commonName: cn,
      issuer: 'ca',
      serialHex: serialHex(cert),
      notBefore: nb.toISOString(),
      notAfter: na.toISOString(),
      cert: `${id}.pem`,
      key: `${id}.key.pem`,
      p12: `${id}.p12`,
      password: manifest.password,
    };
  };

  if (o.tsa) {
    const id = 'tsa-alt';
    const { der } = issue(id, [['C', 'VN'], ['O', 'Ban Cơ yếu Chính phủ (THỬ NGHIỆM)'], ['CN', o.tsa.commonName]], o.tsa.notBefore, o.tsa.notAfter, true);
    manifest.identities = manifest.identities.filter((i) => i.role !== 'tsa');
    manifest.identities.push(identity(id, 'tsa', der, o.tsa.commonName, o.tsa.notBefore, o.tsa.notAfter));
  }
  for (const s of o.signers ?? []) {
    const { der, key } = issue(s.id, [['C', 'VN'], ['O', 'Văn phòng Chính phủ'], ['CN', s.commonName]], s.notBefore, s.notAfter, false);
    manifest.identities.push({
      ...identity(s.id, 'person', der, s.commonName, s.notBefore, s.notAfter),
      ...(s.revocation ? { revocation: { time: s.revocation.time.toISOString(), reason: s.revocation.reason } } : {}),
    });
    signers.set(s.id, new KeyObjectSigner(key, der, [caDer, rootDer]));
  }
  writeFileSync(join(dir, 'index.json'), JSON.stringify(manifest, null, 2));
  return {
    dir,
    signer(id) {
      const s = signers.get(id);
      if (!s) throw new Error(`no extra signer ${id}`);
      return s;
    },
    revoke(id, time, reason = 'keyCompromise') {
      const m = readTestPkiManifest(dir);
      const i = m.identities.find((x) => x.id === id);
      if (!i) throw new Error(`no identity ${id}`);
      i.revocation = { time: time.toISOString(), reason };
      writeFileSync(join(dir, 'index.json'), JSON.stringify(m, null, 2));
    },
  };
}
