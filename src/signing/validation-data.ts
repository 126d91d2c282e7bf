// Validation data for long-term validity (PAdES B-LT / XAdES B-LT; TT 15/2025 Art. 5(4)): for a signature or
// timestamp, the certificate chain up to a self-signed root and, for every certificate that needs it, the OCSP
// response (else the CRL) that proves its status now — plus the OCSP responder's own certificates when a
// delegated responder signed. Format independent: the PDF /DSS writer and the XAdES unsigned properties both
// take the result. Uses the src/pki clients only; knows nothing of PDF or XML.
import type { Certificate } from 'pkijs';
import { KysoError } from '../errors.ts';
import {
  caIssuersUrls,
  certificateDer,
  crlUrls,
  hasOcspNoCheck,
  isIssuedBy,
  isSelfSigned,
  ocspUrls,
  parseCertificate,
  serialHex,
  subjectKeyIdentifier,
} from '../pki/certificate.ts';
import { nameKey, parseCms, parseTimestampToken, type ParsedCms } from '../pki/cms/cms-parser.ts';
import { checkCrl, fetchCrl } from '../pki/crl-client.ts';
import { checkOcsp } from '../pki/ocsp-client.ts';
import { fetchPki, type PkiNetworkOptions } from '../pki/pki-http.ts';

export interface ValidationMaterial {
  certificates: Uint8Array[];
  ocspResponses: Uint8Array[];
  crls: Uint8Array[];
}

export interface GatherOptions {
  network?: PkiNetworkOptions;
  /** Certificates already at hand (the document's DSS, other signatures), used before caIssuers downloads. */
  knownCertificates?: readonly Uint8Array[];
  /** Clock for the freshness of OCSP/CRL answers; default now. */
  now?: Date;
}

/** Concatenates materials, dropping duplicates (same DER). */
export function merge(parts: readonly ValidationMaterial[]): ValidationMaterial {
  const uniq = (lists: Uint8Array[][]): Uint8Array[] => [...new Map(lists.flat().map((d) => [keyOf(d), d])).values()];
  return {
    certificates: uniq(parts.map((p) => p.certificates)),
    ocspResponses: uniq(parts.map((p) => p.ocspResponses)),
    crls: uniq(parts.map((p) => p.crls)),
  };
}

const keyOf = (der: Uint8Array): string => Buffer.from(der).toString('base64');

function describe(e: unknown): string {
  return e instanceof KysoError ? e.en : e instanceof Error ? e.message : String(e);
}

/**
 * Collects validation data for one or more leaf certificates. One instance per extension run: certificates and
 * revocation answers shared by several chains (the CA, the TSA) are fetched once.
 */
export class ValidationDataCollector {
  private readonly pool = new Map<string, Certificate>();
  private readonly certs = new Map<string, Uint8Array>();
  private readonly ocsps = new Map<string, Uint8Array>();
  private readonly crls = new Map<string, Uint8Array>();
  /** Status evidence gathered or being gathered, by certificate DER (shared by concurrent chains). */
  private readonly evidence = new Map<string, Promise<ValidationMaterial>>();

  constructor(private readonly opts: GatherOptions = {}) {
    for (const der of opts.knownCertificates ?? []) this.remember(der);
  }

  private remember(der: Uint8Array): Certificate | undefined {
    const k = keyOf(der);
    const hit = this.pool.get(k);
    if (hit) return hit;
    try {
      const c = parseCertificate(der);
      this.pool.set(k, c);
      return c;
    } catch {
      return undefined; // an unreadable certificate in someone else's CMS is not ours to fix
    }
  }

  /** The data gathered so far. */
  get material(): ValidationMaterial {
    return { certificates: [...this.certs.values()], ocspResponses: [...this.ocsps.values()], crls: [...this.crls.values()] };
  }

  private async issuerOf(cert: Certificate): Promise<Certificate | undefined> {
    for (const c of this.pool.values()) if (c !== cert && isIssuedBy(cert, c)) return c;
    for (const url of caIssuersUrls(cert)) {
      try {
        const res = await fetchPki(url, { method: 'GET', accept: 'application/pkix-cert' }, this.opts.network);
        const candidate = this.remember(res.body);
        if (candidate && isIssuedBy(cert, candidate)) return candidate;
      } catch {
        // try the next URL
      }
    }
    return undefined;
  }

  /**
   * Adds the chain of `leaf` and proof of status for each of its certificates; returns what concerns this leaf
   * (for a PDF /VRI entry). Throws when a status cannot be obtained.
   */
  async addCertificate(leafDer: Uint8Array, visiting: ReadonlySet<string> = new Set()): Promise<ValidationMaterial> {
    let cert = this.remember(leafDer);
    if (!cert) throw new KysoError('INVALID_ARGUMENT', 'Chứng thư không đọc được', 'Unreadable certificate');
    // The chain first (local, or a caIssuers download), then every status at once: the answers come from
    // different responders, so waiting for them one by one would only add round trips.
    const chain: Uint8Array[] = [];
    const pending: Promise<ValidationMaterial>[] = [];
    for (let depth = 0; depth < 16; depth++) {
      const der = certificateDer(cert);
      const k = keyOf(der);
      this.certs.set(k, der);
      chain.push(der);
      if (isSelfSigned(cert)) break;
      const issuer = await this.issuerOf(cert);
      if (!issuer) {
        throw new KysoError(
          'NETWORK',
          `Không tìm được chứng thư của tổ chức cấp cho chứng thư số hiệu ${serialHex(cert)} (không có trong chữ ký, tài liệu hay địa chỉ caIssuers)`,
          `Cannot find the issuer of certificate ${serialHex(cert)} (not in the signature, the document or at its caIssuers URL)`,
        );
      }
      let evidence = this.evidence.get(k);
      if (!evidence) {
        evidence = hasOcspNoCheck(cert) ? Promise.resolve({ certificates: [], ocspResponses: [], crls: [] }) : this.status(cert, issuer, new Set([...visiting, k]));
        evidence.catch(() => undefined); // awaited below; never an unhandled rejection
        this.evidence.set(k, evidence);
      }
      pending.push(evidence);
      cert = issuer;
    }
    return merge([{ certificates: chain, ocspResponses: [], crls: [] }, ...(await Promise.all(pending))]);
  }

  /** OCSP first (smaller, and what most verifiers look for), else the CRL. */
  private async status(cert: Certificate, issuer: Certificate, visiting: ReadonlySet<string>): Promise<ValidationMaterial> {
    const failures: string[] = [];
    if (ocspUrls(cert).length > 0) {
      try {
        const r = await checkOcsp(cert, issuer, { ...this.opts.network, ...(this.opts.now ? { now: this.opts.now } : {}) });
        if (r.status !== 'unknown') {
          this.ocsps.set(keyOf(r.responseDer), r.responseDer);
          const found: ValidationMaterial = { certificates: [], ocspResponses: [r.responseDer], crls: [] };
          // A delegated responder needs its own chain (and status, unless id-pkix-ocsp-nocheck).
          // (Not when that responder's own status is what is being gathered: responders vouching for each other.)
          const responderKey = keyOf(r.responderCert);
          if (!Buffer.from(r.responderCert).equals(Buffer.from(certificateDer(issuer))) && !visiting.has(responderKey)) {
            const responder = await this.addCertificate(r.responderCert, visiting);
            found.certificates.push(...responder.certificates);
            found.ocspResponses.push(...responder.ocspResponses);
            found.crls.push(...responder.crls);
          }
          return found;
        }
        failures.push('OCSP: status unknown');
      } catch (e) {
        failures.push(`OCSP: ${describe(e)}`);
      }
    }
    for (const url of crlUrls(cert)) {
      try {
        const info = await fetchCrl(url, issuer, { ...this.opts.network, ...(this.opts.now ? { now: this.opts.now } : {}) });
        checkCrl(cert, info.der, issuer, this.opts.now ? { at: this.opts.now } : {});
        this.crls.set(keyOf(info.der), info.der);
        return { certificates: [], ocspResponses: [], crls: [info.der] };
      } catch (e) {
        failures.push(`CRL ${url}: ${describe(e)}`);
      }
    }
    throw new KysoError(
      'NETWORK',
      `Không lấy được dữ liệu thu hồi (OCSP/CRL) cho chứng thư số hiệu ${serialHex(cert)}`,
      `Cannot obtain revocation data (OCSP/CRL) for certificate ${serialHex(cert)}: ${failures.join('; ') || 'no OCSP or CRL URL'}`,
    );
  }

  /**
   * A CMS signature: the signer's certificate and the TSA of each signature timestamp. Returns what concerns
   * this signature.
   */
  async addCms(cmsDer: Uint8Array): Promise<ValidationMaterial> {
    const cms = parseCms(cmsDer);
    const signer = this.signerCertificate(cms);
    const tsas = cms.signer.signatureTimestamps.map((t) => this.signerCertificate(parseTimestampToken(t)));
    return merge(await Promise.all([signer, ...tsas].map((c) => this.addCertificate(c))));
  }

  /** An RFC 3161 token (a document timestamp, or a signature timestamp): the TSA's certificate. */
  async addTimestampToken(tokenDer: Uint8Array): Promise<ValidationMaterial> {
    return this.addCertificate(this.signerCertificate(parseTimestampToken(tokenDer)));
  }

  /** The certificate the SignerInfo designates, among the CMS's certificates and those already known. */
  private signerCertificate(cms: ParsedCms): Uint8Array {
    for (const der of cms.certificates) this.remember(der);
    const sid = cms.signer.sid;
    for (const c of this.pool.values()) {
      const match =
        sid.kind === 'issuerAndSerialNumber'
          ? serialHex(c) === sid.serialHex.replace(/^(00)+(?=.)/, '') && nameKey(new Uint8Array(c.issuer.toSchema().toBER())) === nameKey(sid.issuer)
          : Buffer.from(subjectKeyIdentifier(c) ?? []).equals(Buffer.from(sid.keyIdentifier));
      if (match) return certificateDer(c);
    }
    throw new KysoError('INVALID_ARGUMENT', 'Chữ ký không mang chứng thư của người ký', 'The signature does not carry the signer\'s certificate');
  }
}
