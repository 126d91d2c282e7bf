// Regenerates the kyso test PKI into certs-test/pki/ (run: npm run certs:generate [-- --new-keys]).
//
// Certificates and CRLs are built with pkijs and signed with Node crypto. openssl is used only to wrap key +
// certificate + chain into PKCS#12, because that is what real users receive from a CA. Existing keys are reused
// unless --new-keys is given, so regeneration changes only the PKCS#12 salts (and ECDSA signatures).

import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { derToPem, nameToString, serialHex } from '../src/pki/certificate.ts';
import { TestPolicyOid } from '../src/pki/oids.ts';
import { issueCrl } from '../src/pki/responders/crl-issuer.ts';
import { MANIFEST_FILE, type TestPkiIdentity, type TestPkiManifest } from '../src/pki/responders/test-pki-manifest.ts';
import { buildCertificate, type BuiltCert } from './cert-builder.ts';
import { BASE_URL, COMMITTED_CRL, IDENTITIES, PASSWORD, type IdentityPlan, type KeySpec } from './identities.ts';

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), 'pki');
const generateKeyPairAsync = promisify(generateKeyPair);

/** Deterministic positive 128-bit serial derived from the identity id. */
function serialFor(id: string): string {
  const h = createHash('sha256').update(`kyso-test-pki:${id}`).digest();
  h[0] = (h[0]! & 0x3f) | 0x40; // positive, and always 16 significant bytes
  return h.subarray(0, 16).toString('hex');
}

function keyMatches(key: KeyObject, spec: KeySpec): boolean {
  const d = key.asymmetricKeyDetails ?? {};
  return spec.type === 'RSA'
    ? key.asymmetricKeyType === 'rsa' && d.modulusLength === spec.bits
    : key.asymmetricKeyType === 'ec' && d.namedCurve === 'prime256v1';
}

async function loadOrCreateKey(plan: IdentityPlan, fresh: boolean): Promise<KeyObject> {
  const path = join(OUT_DIR, `${plan.id}.key.pem`);
  if (!fresh && existsSync(path)) {
    const key = createPrivateKey(readFileSync(path));
    if (keyMatches(key, plan.key)) return key;
  }
  const { privateKey } =
    plan.key.type === 'RSA'
      ? await generateKeyPairAsync('rsa', { modulusLength: plan.key.bits })
      : await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return privateKey;
}

function urlsFor(issuerCaName: string) {
  return {
    aia: { ocsp: `${BASE_URL}/ocsp`, caIssuers: `${BASE_URL}/certs/${issuerCaName}.cer` },
    crlUrl: `${BASE_URL}/crl/${issuerCaName}.crl`,
  };
}

const pemBodies = (pem: string): string[] =>
  [...pem.matchAll(/-----BEGIN [^-]+-----([\s\S]*?)-----END/g)].map((m) => m[1]!.replace(/\s+/g, ''));

/**
 * PKCS#12 encryption is salted, so every export differs. Keep an existing file when it already holds exactly
 * this key, certificate and chain: regeneration then leaves the repository untouched unless something changed.
 */
function p12UpToDate(file: string, certPem: string, keyPem: string, chainPem: string): boolean {
  if (!existsSync(file)) return false;
  try {
    const dump = execFileSync('openssl', ['pkcs12', '-in', file, '-passin', `pass:${PASSWORD}`, '-nodes'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString('latin1');
    const have = new Set(pemBodies(dump));
    const want = pemBodies(certPem + keyPem + chainPem);
    return have.size === want.length && want.every((b) => have.has(b));
  } catch {
    return false;
  }
}

function p12Export(args: { id: string; certPem: string; keyPem: string; chainPem: string; out: string; legacy?: boolean }): void {
  if (p12UpToDate(args.out, args.certPem, args.keyPem, args.chainPem)) return;
  const tmp = mkdtempSync(join(tmpdir(), 'kyso-p12-'));
  try {
    writeFileSync(join(tmp, 'cert.pem'), args.certPem);
    writeFileSync(join(tmp, 'key.pem'), args.keyPem);
    const argv = ['pkcs12', '-export', '-in', join(tmp, 'cert.pem'), '-inkey', join(tmp, 'key.pem'), '-name', args.id];
    if (args.chainPem) {
      writeFileSync(join(tmp, 'chain.pem'), args.chainPem);
      argv.push('-certfile', join(tmp, 'chain.pem'));
    }
    // OpenSSL 3 defaults are AES-256-CBC + PBKDF2 + SHA-256 MAC. The legacy file uses the pre-3.0 profile
    // (3DES, SHA-1 MAC) that older tokens' export tools and Windows still produce; no legacy provider is needed.
    if (args.legacy) argv.push('-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1');
    argv.push('-passout', `pass:${PASSWORD}`, '-out', args.out);
    execFileSync('openssl', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const fresh = process.argv.includes('--new-keys');
  mkdirSync(OUT_DIR, { recursive: true });

  // Keys first, in parallel (RSA-4096 generation dominates the run time).
  const keys = new Map<string, KeyObject>(
    await Promise.all(IDENTITIES.map(async (p) => [p.id, await loadOrCreateKey(p, fresh)] as const)),
  );

  const built = new Map<string, BuiltCert>();
  const plans = new Map(IDENTITIES.map((p) => [p.id, p]));
  const chainPemOf = (id: string | null): string => {
    let pem = '';
    for (let cur = id; cur; cur = plans.get(cur)!.issuer) pem += derToPem(built.get(cur)!.der);
    return pem;
  };

  const manifestIdentities: TestPkiIdentity[] = [];
  // IDENTITIES lists issuers before the certificates they issue.
  for (const plan of IDENTITIES) {
    const key = keys.get(plan.id)!;
    const issuerPlan = plan.issuer ? plans.get(plan.issuer)! : undefined;
    const issuerBuilt = plan.issuer ? built.get(plan.issuer)! : undefined;
    const b = buildCertificate({
      subject: plan.subject,
      serialHex: serialFor(plan.id),
      notBefore: new Date(plan.notBefore),
      notAfter: new Date(plan.notAfter),
      publicKey: createPublicKey(key), // derives the public half
      ...(issuerBuilt && issuerPlan
        ? { issuer: { name: issuerBuilt.cert.subject, key: keys.get(issuerPlan.id)!, keyId: issuerBuilt.keyId }, ...urlsFor(issuerPlan.caName!) }
        : { selfKey: key }),
      keyUsage: plan.keyUsage,
      ...(plan.extKeyUsage ? { extKeyUsage: plan.extKeyUsage } : {}),
      ...(plan.ca ? { ca: plan.ca } : {}),
      ...(plan.role === 'root-ca' || plan.role === 'ca' ? {} : { policies: [TestPolicyOid.certificatePolicy] }),
      ...(plan.ocspNoCheck ? { ocspNoCheck: true } : {}),
    });
    built.set(plan.id, b);

    const certPem = derToPem(b.der);
    writeFileSync(join(OUT_DIR, `${plan.id}.pem`), certPem);
    if (plan.caName) writeFileSync(join(OUT_DIR, `${plan.caName}.cer`), b.der);
    const keyPem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
    p12Export({ id: plan.id, certPem, keyPem, chainPem: chainPemOf(plan.issuer), out: join(OUT_DIR, `${plan.id}.p12`) });
    if (plan.id === 'person-vpcp') {
      p12Export({ id: plan.id, certPem, keyPem, chainPem: chainPemOf(plan.issuer), out: join(OUT_DIR, 'person-vpcp-legacy.p12'), legacy: true });
    }

    const cn = plan.subject.find(([k]) => k === 'CN')?.[1] ?? plan.id;
    const org = plan.subject.find(([k]) => k === 'O')?.[1];
    manifestIdentities.push({
      id: plan.id,
      role: plan.role,
      keyType: plan.key.type,
      keyBits: plan.key.type === 'RSA' ? plan.key.bits : 256,
      subject: nameToString(b.cert.subject),
      commonName: cn,
      ...(org ? { organization: org } : {}),
      issuer: plan.issuer,
      serialHex: serialHex(b.cert),
      notBefore: plan.notBefore,
      notAfter: plan.notAfter,
      cert: `${plan.id}.pem`,
      key: `${plan.id}.key.pem`,
      p12: `${plan.id}.p12`,
      password: PASSWORD,
      ...(plan.agencyCode ? { agencyCode: plan.agencyCode } : {}),
      ...(plan.title ? { title: plan.title } : {}),
      ...(plan.caName ? { caName: plan.caName } : {}),
      ...(plan.ocspResponder ? { ocspResponder: plan.ocspResponder } : {}),
      ...(plan.revocation ? { revocation: plan.revocation } : {}),
      ...(plan.note ? { note: plan.note } : {}),
    });
  }

  // Long-lived CRLs for offline use; the server issues fresh ones per request.
  const crls: Record<string, string> = {};
  for (const ca of IDENTITIES.filter((p) => p.caName)) {
    const revoked = manifestIdentities
      .filter((i) => i.issuer === ca.id && i.revocation)
      .map((i) => ({ serialHex: i.serialHex, revocationTime: new Date(i.revocation!.time), reason: i.revocation!.reason }));
    const der = issueCrl({
      issuerCert: built.get(ca.id)!.cert,
      issuerKey: keys.get(ca.id)!,
      revoked,
      thisUpdate: new Date(COMMITTED_CRL.thisUpdate),
      nextUpdate: new Date(COMMITTED_CRL.nextUpdate),
      crlNumber: COMMITTED_CRL.crlNumber,
    });
    crls[ca.caName!] = `${ca.caName}.crl`;
    writeFileSync(join(OUT_DIR, `${ca.caName}.crl`), der);
  }

  writeFileSync(join(OUT_DIR, 'chain.pem'), chainPemOf('ca'));
  const manifest: TestPkiManifest = {
    version: 1,
    baseUrl: BASE_URL,
    password: PASSWORD,
    identities: manifestIdentities,
    files: { chain: 'chain.pem', crls, legacyP12: 'person-vpcp-legacy.p12' },
  };
  writeFileSync(join(OUT_DIR, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`test PKI: ${manifestIdentities.length} identities written to ${OUT_DIR} in ${Date.now() - started} ms`);
}

await main();
