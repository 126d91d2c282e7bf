// Builds and signs an X.509 v2 CRL (RFC 5280 §5) for a CA from its revocation list. Used by the test PKI server
// (fresh CRL per request) and by the test PKI generator (the committed long-lived CRLs).

import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  AuthorityKeyIdentifier,
  CertificateRevocationList,
  Extension,
  Extensions,
  RevokedCertificate,
  Time,
  type Certificate,
} from 'pkijs';
import { subjectKeyIdentifier } from '../certificate.ts';
import { hash, signNative, signatureAlgorithmFor, valueBytes } from '../native-crypto.ts';
import { ExtensionOid } from '../oids.ts';
import { REVOCATION_REASONS, type RevokedEntry } from '../revocation.ts';
import type { DigestAlgorithm } from '../signer.ts';

export interface CrlIssueOptions {
  issuerCert: Certificate;
  issuerKey: KeyObject;
  revoked: readonly RevokedEntry[];
  /** Default: now. */
  thisUpdate?: Date;
  /** Default: thisUpdate + 7 days. */
  nextUpdate?: Date;
  /** Monotonic CRL number; default: thisUpdate in Unix seconds, which increases with every fresh CRL. */
  crlNumber?: bigint;
  digest?: DigestAlgorithm;
}

const DAY_MS = 86_400_000;

/** Certificates and CRLs carry whole seconds only (RFC 5280 §4.1.2.5.2: no fractional seconds). */
export function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export function x509Time(d: Date): Time {
  return new Time({ type: d.getUTCFullYear() < 2050 ? 0 : 1, value: wholeSeconds(d) });
}

export function integerFromHex(hex: string): asn1js.Integer {
  return asn1js.Integer.fromBigInt(BigInt(`0x${hex}`));
}

/** AKI keyIdentifier of an issuer: its SKI when present, else the RFC 5280 method-1 SHA-1 of its key. */
export function issuerKeyId(issuer: Certificate): Uint8Array {
  return subjectKeyIdentifier(issuer) ?? hash('SHA-1', valueBytes(issuer.subjectPublicKeyInfo.subjectPublicKey));
}

function revokedEntry(entry: RevokedEntry): RevokedCertificate {
  const reason = entry.reason && entry.reason !== 'unspecified' ? entry.reason : undefined;
  return new RevokedCertificate({
    userCertificate: integerFromHex(entry.serialHex),
    revocationDate: x509Time(entry.revocationTime),
    // RFC 5280 §5.3.1: omit reasonCode rather than write "unspecified".
    ...(reason
      ? {
          crlEntryExtensions: new Extensions({
            extensions: [
              new Extension({
                extnID: ExtensionOid.crlReason,
                critical: false,
                extnValue: new asn1js.Enumerated({ value: REVOCATION_REASONS[reason] }).toBER(),
              }),
            ],
          }),
        }
      : {}),
  });
}

/** Returns the DER of a freshly signed CRL. */
export function issueCrl(opts: CrlIssueOptions): Uint8Array {
  const thisUpdate = wholeSeconds(opts.thisUpdate ?? new Date());
  const nextUpdate = wholeSeconds(opts.nextUpdate ?? new Date(thisUpdate.getTime() + 7 * DAY_MS));
  const crlNumber = opts.crlNumber ?? BigInt(Math.floor(thisUpdate.getTime() / 1000));
  const sigAlg = signatureAlgorithmFor(opts.issuerKey, opts.digest ?? 'SHA-256');

  const crl = new CertificateRevocationList({
    version: 1, // v2: required because we carry extensions
    signature: sigAlg,
    issuer: opts.issuerCert.subject,
    thisUpdate: x509Time(thisUpdate),
    nextUpdate: x509Time(nextUpdate),
    crlExtensions: new Extensions({
      extensions: [
        new Extension({
          extnID: ExtensionOid.authorityKeyIdentifier,
          critical: false,
          extnValue: new AuthorityKeyIdentifier({
            keyIdentifier: new asn1js.OctetString({ valueHex: issuerKeyId(opts.issuerCert) }),
          })
            .toSchema()
            .toBER(),
        }),
        new Extension({
          extnID: ExtensionOid.crlNumber,
          critical: false,
          extnValue: asn1js.Integer.fromBigInt(crlNumber).toBER(),
        }),
      ],
    }),
  });
  // An empty revokedCertificates SEQUENCE is not allowed (RFC 5280 §5.1.2.6): omit the field when nothing is revoked.
  if (opts.revoked.length > 0) crl.revokedCertificates = opts.revoked.map(revokedEntry);
  crl.signatureAlgorithm = sigAlg;

  // encodeTBS is protected in the typings; toSchema(true) re-encodes the TBS as its first element.
  const tbs = new Uint8Array((crl.toSchema(true) as asn1js.Sequence).valueBlock.value[0]!.toBER());
  crl.tbsView = tbs;
  crl.signatureValue = new asn1js.BitString({ valueHex: signNative(opts.issuerKey, opts.digest ?? 'SHA-256', tbs) });
  return new Uint8Array(crl.toSchema().toBER());
}
