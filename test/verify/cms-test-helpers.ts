// Helpers for the CMS validation tests: real signatures from the test PKI, contexts against the real test PKI
// server, byte-level surgery on CMS structures, and throw-away CAs made with openssl.
import { createHash, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testPki, type TestIdentityId } from '../../certs-test/index.ts';
import { pemToDer } from '../../src/pki/certificate.ts';
import { signCadesDetached } from '../../src/pki/cms/cades-detached.ts';
import { childrenOf, derTlv, readTlv, tlvBytes } from '../../src/pki/cms/cms-parser.ts';
import { KeyObjectSigner } from '../../src/pki/keys/key-object-signer.ts';
import type { TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import type { DigestAlgorithm, SignatureScheme } from '../../src/pki/signer.ts';
import { requestTimestamp } from '../../src/pki/tsp-client.ts';
import type { CmsValidationResult, ValidationContext } from '../../src/verify/cms-validation.ts';
import { defaultPolicy } from '../../src/verify/policy.ts';
import type { Check, CheckId } from '../../src/verify/report.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { opensslAsync, tempDir, writeTemp } from '../pki/helpers.ts';

/** Two byte ranges, as a PDF /ByteRange gives them. */
export const content: readonly Uint8Array[] = [
  new TextEncoder().encode('%PDF-1.7 Công văn số 42/VPCP-HC — phần trước chữ ký '.repeat(40)),
  new TextEncoder().encode(' phần sau chữ ký %%EOF'.repeat(25)),
];
export const contentDigest = (d: DigestAlgorithm = 'SHA-256', parts: readonly Uint8Array[] = content): Uint8Array => {
  const h = createHash(d.replace('-', '').toLowerCase());
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

const signers = new Map<string, KeyObjectSigner>();
export function signerOf(id: TestIdentityId): KeyObjectSigner {
  let s = signers.get(id);
  if (!s) signers.set(id, (s = KeyObjectSigner.fromPkcs12File(testPki.identity(id).p12, testPki.password)));
  return s;
}

export interface SignOptions {
  scheme?: SignatureScheme;
  digest?: DigestAlgorithm;
  /** Get a signature timestamp from this server's TSA. */
  tsa?: TestPkiServer;
  parts?: readonly Uint8Array[];
  signer?: KeyObjectSigner;
}

export async function sign(id: TestIdentityId, o: SignOptions = {}): Promise<Uint8Array> {
  const digest = o.digest ?? 'SHA-256';
  return signCadesDetached({
    signer: o.signer ?? signerOf(id),
    digest,
    ...(o.scheme ? { scheme: o.scheme } : {}),
    contentDigest: contentDigest(digest, o.parts ?? content),
    ...(o.tsa
      ? {
          timestamp: async (value: Uint8Array, d: DigestAlgorithm) =>
            (await requestTimestamp(value, d, { url: `${testPki.baseUrl}/tsa`, rewrite: o.tsa!.rewrite })).tokenDer,
        }
      : {}),
  });
}

export function contextFor(server: TestPkiServer | undefined, extra: Partial<ValidationContext> = {}): ValidationContext {
  return {
    trust: TrustStore.demo(),
    algorithms: defaultPolicy().algorithms,
    fetchIssuers: true,
    ...(server ? { network: { rewrite: server.rewrite, timeoutMs: 3000 } } : {}),
    ...extra,
  };
}

export function check(r: CmsValidationResult, id: CheckId): Check {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no ${id} check`);
  return c;
}

/** Every FAILED check as "ID:SUB". */
export const failures = (r: CmsValidationResult): string[] => r.checks.filter((c) => c.status === 'FAILED').map((c) => `${c.id}:${c.subIndication}`);

export function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[at] ^= 0x01;
  return out;
}

/** Rebuilds a ContentInfo(SignedData) keeping only the certificates `keep` accepts. */
export function rewriteCertificates(cms: Uint8Array, keep: (der: Uint8Array) => boolean): Uint8Array {
  const ci = readTlv(cms, 0);
  const [oid, wrapper] = childrenOf(cms, ci);
  const sd = childrenOf(cms, wrapper!)[0]!;
  const fields = childrenOf(cms, sd);
  const rebuilt = fields.map((f, i) => {
    if (i > 0 && f.cls === 2 && f.tagNumber === 0) {
      return derTlv(0xa0, ...childrenOf(cms, f).map((c) => tlvBytes(cms, c)).filter(keep));
    }
    return tlvBytes(cms, f);
  });
  return derTlv(0x30, tlvBytes(cms, oid!), derTlv(0xa0, derTlv(0x30, ...rebuilt)));
}

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

export const certDer = (id: TestIdentityId): Uint8Array => pemToDer(readFileSync(testPki.identity(id).cert, 'utf8'));

async function ossl(args: string[]): Promise<void> {
  const r = await opensslAsync(args);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.out}`);
}

/** A leaf certificate + key made with openssl, issued by `issuer` (paths) or by a fresh self-made root. */
export interface MadeIdentity {
  dir: string;
  signer: KeyObjectSigner;
  certDer: Uint8Array;
  rootDer?: Uint8Array;
}

const LEAF_EXT = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n';

/** A self-made CA ("Fake Root", not in any trust store) and a signer under it. */
export async function untrustedIdentity(): Promise<MadeIdentity> {
  const dir = tempDir('kyso-fake-ca-');
  const ext = writeTemp(dir, 'leaf.ext', LEAF_EXT);
  await ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'root.key'), '-out', join(dir, 'root.pem'), '-subj', '/CN=Fake NEAC Root/O=Not trusted/C=VN', '-days', '3650',
    '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await ossl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'leaf.key'), '-out', join(dir, 'leaf.csr'), '-subj', '/CN=Nguyễn Giả Mạo/O=Không có thật/C=VN', '-utf8']);
  await ossl(['x509', '-req', '-in', join(dir, 'leaf.csr'), '-CA', join(dir, 'root.pem'), '-CAkey', join(dir, 'root.key'), '-CAcreateserial', '-CAserial', join(dir, 'ca.srl'), '-days', '365', '-extfile', ext, '-out', join(dir, 'leaf.pem')]);
  const rootDer = pemToDer(readFileSync(join(dir, 'root.pem'), 'utf8'));
  const leaf = pemToDer(readFileSync(join(dir, 'leaf.pem'), 'utf8'));
  const key = createPrivateKey(readFileSync(join(dir, 'leaf.key')));
  return { dir, signer: new KeyObjectSigner(key, leaf, [rootDer]), certDer: leaf, rootDer };
}

/** A signer certificate issued by a test PKI CA (default the issuing "ca"), with the given RSA size. */
export async function identityUnder(issuer: TestIdentityId = 'ca', o: { rsaBits?: number; ext?: string; cn?: string } = {}): Promise<MadeIdentity> {
  const dir = tempDir('kyso-made-');
  const ext = writeTemp(dir, 'leaf.ext', o.ext ?? LEAF_EXT);
  const ca = testPki.identity(issuer);
  await ossl(['req', '-new', '-newkey', `rsa:${o.rsaBits ?? 2048}`, '-nodes', '-keyout', join(dir, 'leaf.key'), '-out', join(dir, 'leaf.csr'), '-subj', `/CN=${o.cn ?? 'Người ký thử'}/O=Văn phòng Chính phủ/C=VN`, '-utf8']);
  await ossl(['x509', '-req', '-in', join(dir, 'leaf.csr'), '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-CAserial', join(dir, 'ca.srl'), '-days', '365', '-sha256', '-extfile', ext, '-out', join(dir, 'leaf.pem')]);
  const leaf = pemToDer(readFileSync(join(dir, 'leaf.pem'), 'utf8'));
  const key = createPrivateKey(readFileSync(join(dir, 'leaf.key')));
  return { dir, signer: new KeyObjectSigner(key, leaf, [certDer(issuer)]), certDer: leaf };
}

/** A detached CMS made by `openssl cms -sign` (PEM files of an identity) over the concatenated content. */
export async function opensslSign(id: TestIdentityId, args: string[]): Promise<Uint8Array> {
  const dir = tempDir('kyso-ossl-cms-');
  const data = writeTemp(dir, 'content.bin', Buffer.concat(content.map((c) => Buffer.from(c))));
  const out = join(dir, 'sig.der');
  const i = testPki.identity(id);
  await ossl(['cms', '-sign', '-binary', '-in', data, '-signer', i.cert, '-inkey', i.key, '-certfile', testPki.caPem, '-outform', 'DER', '-out', out, ...args]);
  return new Uint8Array(readFileSync(out));
}
