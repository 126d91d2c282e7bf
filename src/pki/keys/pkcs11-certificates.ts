// The certificate and issuer chain of a key held in a token: from configured files, or from the certificate
// objects on the token (the one sharing the key's CKA_ID, then issuers found among the others).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KysoError } from '../../errors.ts';

/** Every certificate in a PEM bundle or a single DER file. */
export function readCertificateFile(path: string): Uint8Array[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new KysoError('IO', `Không đọc được tệp chứng thư ${path}`, `Cannot read the certificate file ${path}`, { cause: e });
  }
  const text = bytes.toString('latin1');
  const pems = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
  const ders = pems.length > 0 ? pems : [new Uint8Array(bytes)];
  for (const der of ders) {
    try {
      new X509Certificate(der);
    } catch (e) {
      throw new KysoError('KEYSTORE_INVALID', `Tệp ${path} không chứa chứng thư X.509 hợp lệ`, `${path} does not hold a valid X.509 certificate`, { cause: e });
    }
  }
  return ders;
}

/**
 * Issuers of `leaf` among `candidates`, nearest first, following issuer name and signature. Certificates that are
 * not in the leaf's chain (other keys' certificates on the same token) are left out.
 */
export function issuerChain(leaf: Uint8Array, candidates: readonly Uint8Array[]): Uint8Array[] {
  const parsed = candidates.map((der) => ({ der, x: new X509Certificate(der) }));
  const chain: Uint8Array[] = [];
  const seen = new Set<string>([new X509Certificate(leaf).fingerprint256]);
  let cur = new X509Certificate(leaf);
  for (;;) {
    const next = parsed.find((c) => !seen.has(c.x.fingerprint256) && cur.checkIssued(c.x) && cur.verify(c.x.publicKey));
    if (!next) return chain;
    chain.push(next.der);
    seen.add(next.x.fingerprint256);
    if (next.x.checkIssued(next.x)) return chain; // reached a self-signed root
    cur = next.x;
  }
}
