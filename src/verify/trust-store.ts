// Trust anchors for validation (TT 15/2025 Art. 6(1)(b): the certificate must chain to NEAC or the recognised
// trust list; Art. 6(3): the administrator manages them). Production roots are not shipped: an administrator
// puts the NEAC and Ban Cơ yếu Chính phủ root certificates in trust/production/ (or points KYSO_TRUST_DIR at a
// directory). Without them kyso runs in demo mode and trusts only the test PKI root (certs-test).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KysoError } from '../errors.ts';
import { pemBlocks } from '../pki/certificate.ts';
import { certInfo, sameKey, type CertInfo } from './cert-info.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where an administrator installs production roots. */
export const PRODUCTION_TRUST_DIR = join(ROOT, 'trust', 'production');
/** The committed test PKI root (demo mode). */
export const DEMO_ROOT_PEM = join(ROOT, 'certs-test', 'pki', 'root-ca.pem');

const CERT_EXTENSIONS = new Set(['.pem', '.crt', '.cer', '.der']);

export type TrustMode = 'production' | 'demo' | 'custom';

function invalid(path: string, vi: string, en: string, cause?: unknown): KysoError {
  return new KysoError('INVALID_ARGUMENT', `Chứng thư tin cậy ${path}: ${vi}`, `Trust anchor ${path}: ${en}`, cause === undefined ? undefined : { cause });
}

/** Certificates in one file: every PEM CERTIFICATE block, or the whole file as DER. */
function certificatesInFile(path: string): Uint8Array[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw invalid(path, 'không đọc được tệp', 'cannot read the file', cause);
  }
  const text = bytes.subarray(0, 8192).toString('latin1');
  const ders = text.includes('-----BEGIN') ? pemBlocks(bytes.toString('latin1')) : [new Uint8Array(bytes)];
  if (ders.length === 0) throw invalid(path, 'không có khối CERTIFICATE', 'no CERTIFICATE block');
  for (const der of ders) {
    try {
      certInfo(der);
    } catch (cause) {
      throw invalid(path, 'không phải chứng thư X.509 hợp lệ', 'not a valid X.509 certificate', cause);
    }
  }
  return ders;
}

/** Certificate files directly inside a directory (by extension; README and the like are skipped). */
function certificateFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => CERT_EXTENSIONS.has(extname(n).toLowerCase()))
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile());
}

export class TrustStore {
  readonly anchors: readonly Uint8Array[];
  private readonly infos: readonly CertInfo[];
  private readonly ids = new Set<string>();
  private readonly bySubject = new Map<string, CertInfo[]>();

  private constructor(
    anchors: readonly Uint8Array[],
    readonly mode: TrustMode,
    /** Where the anchors came from (paths), for reports and `kyso trust list`. */
    readonly sources: readonly string[],
  ) {
    const seen = new Set<string>();
    const infos: CertInfo[] = [];
    for (const der of anchors) {
      const info = certInfo(der);
      if (seen.has(info.id)) continue;
      seen.add(info.id);
      infos.push(info);
      this.ids.add(info.id);
      const list = this.bySubject.get(info.subjectKey) ?? [];
      list.push(info);
      this.bySubject.set(info.subjectKey, list);
    }
    this.infos = infos;
    this.anchors = infos.map((i) => i.der);
  }

  /** Anchors given as DER certificates (tests, embedding applications). */
  static fromCertificates(ders: readonly Uint8Array[], mode: TrustMode = 'custom'): TrustStore {
    return new TrustStore(ders, mode, []);
  }

  /**
   * Anchors from files (PEM with one or more certificates, or DER) and/or directories of .pem/.crt/.cer/.der
   * files. Throws INVALID_ARGUMENT for an unreadable path, a malformed file or an empty result.
   */
  static fromPaths(paths: readonly string[], mode: TrustMode = 'custom'): TrustStore {
    const ders: Uint8Array[] = [];
    for (const p of paths) {
      let isDir: boolean;
      try {
        isDir = statSync(p).isDirectory();
      } catch (cause) {
        throw invalid(p, 'không tìm thấy', 'not found', cause);
      }
      for (const f of isDir ? certificateFilesIn(p) : [p]) ders.push(...certificatesInFile(f));
    }
    if (ders.length === 0) throw invalid(paths.join(', '), 'không có chứng thư nào', 'no certificates found');
    return new TrustStore(ders, mode, paths);
  }

  private static demoStore: TrustStore | undefined;
  private static defaultStore: TrustStore | undefined;

  /** Demo mode: trusts only certs-test's "Test NEAC Root". Never for real documents. */
  static demo(): TrustStore {
    return (TrustStore.demoStore ??= TrustStore.fromPaths([DEMO_ROOT_PEM], 'demo'));
  }

  /**
   * The production roots — KYSO_TRUST_DIR if set, else trust/production/ — when that directory holds
   * certificates; otherwise demo mode. Cached; `{ reload: true }` re-reads the directory (after an
   * administrator changed the roots).
   */
  static default(opts: { reload?: boolean } = {}): TrustStore {
    if (TrustStore.defaultStore && !opts.reload) return TrustStore.defaultStore;
    const dir = process.env.KYSO_TRUST_DIR || PRODUCTION_TRUST_DIR;
    let files: string[] = [];
    try {
      files = certificateFilesIn(dir);
    } catch {
      files = [];
    }
    TrustStore.defaultStore = files.length > 0 ? TrustStore.fromPaths([dir], 'production') : TrustStore.demo();
    return TrustStore.defaultStore;
  }

  get size(): number {
    return this.infos.length;
  }

  /** Parsed anchors. */
  get anchorInfos(): readonly CertInfo[] {
    return this.infos;
  }

  /**
   * True for an anchor itself, or a certificate with an anchor's subject and public key (a re-issued root
   * certificate is the same trust anchor).
   */
  isAnchor(cert: Uint8Array | CertInfo): boolean {
    const info = cert instanceof Uint8Array ? certInfo(cert) : cert;
    if (this.ids.has(info.id)) return true;
    return (this.bySubject.get(info.subjectKey) ?? []).some((a) => sameKey(a, info));
  }

  /** Anchors whose subject is `cert`'s issuer (and whose key identifier matches its AKI, when both exist). */
  findIssuers(cert: Uint8Array | CertInfo): CertInfo[] {
    const info = cert instanceof Uint8Array ? certInfo(cert) : cert;
    const candidates = this.bySubject.get(info.issuerKey);
    if (!candidates) return [];
    const aki = info.authorityKeyIdentifier;
    if (!aki) return candidates;
    return candidates.filter((a) => {
      const ski = a.subjectKeyIdentifier;
      return !ski || Buffer.from(ski).equals(Buffer.from(aki));
    });
  }
}
