// Builds X.509 v3 certificates for the test PKI: pkijs structures, signed with Node crypto. Test tooling only.

import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  AccessDescription,
  AttributeTypeAndValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLDistributionPoints,
  CertificatePolicies,
  Certificate,
  DistributionPoint,
  ExtKeyUsage,
  Extension,
  GeneralName,
  InfoAccess,
  PolicyInformation,
  PublicKeyInfo,
  RelativeDistinguishedNames,
} from 'pkijs';
import { KEY_USAGE_BITS, type KeyUsageFlags } from '../src/pki/certificate.ts';
import { hash, signNative, signatureAlgorithmFor, valueBytes } from '../src/pki/native-crypto.ts';
import { AccessMethodOid, AttributeOid, ExtensionOid } from '../src/pki/oids.ts';
import { x509Time } from '../src/pki/responders/crl-issuer.ts';

export type NameKey = 'C' | 'ST' | 'L' | 'O' | 'OU' | 'T' | 'CN' | 'SERIALNUMBER';
export type NameSpec = readonly (readonly [NameKey, string])[];

const NAME_OIDS: Record<NameKey, string> = {
  C: AttributeOid.country,
  ST: AttributeOid.stateOrProvince,
  L: AttributeOid.locality,
  O: AttributeOid.organization,
  OU: AttributeOid.organizationalUnit,
  T: AttributeOid.title,
  CN: AttributeOid.commonName,
  SERIALNUMBER: AttributeOid.serialNumber,
};

/**
 * One attribute per RDN, in the given order (least specific first, as on the wire). countryName and
 * serialNumber are PrintableString by their ASN.1 definition; everything else is UTF8String so Vietnamese
 * diacritics survive (RFC 5280 §4.1.2.6 recommends UTF8String).
 */
export function buildName(spec: NameSpec): RelativeDistinguishedNames {
  const rdns = spec.map(
    ([k, v]) =>
      new asn1js.Set({
        value: [
          new AttributeTypeAndValue({
            type: NAME_OIDS[k],
            value: k === 'C' || k === 'SERIALNUMBER' ? new asn1js.PrintableString({ value: v }) : new asn1js.Utf8String({ value: v }),
          }).toSchema(),
        ],
      }),
  );
  // pkijs would put every attribute into one multi-valued RDN ("C=VN + O=…"); parsing our own SEQUENCE OF SET
  // keeps one attribute per RDN, which is what CAs issue and what name comparison expects.
  return RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER());
}

/** KeyUsage BIT STRING in DER: trailing zero bits dropped and counted in the unused-bits octet. */
function keyUsageBitString(usages: readonly (keyof KeyUsageFlags)[]): asn1js.BitString {
  const indexes = usages.map((u) => KEY_USAGE_BITS.indexOf(u));
  const last = Math.max(...indexes);
  const bytes = new Uint8Array((last >> 3) + 1);
  for (const i of indexes) bytes[i >> 3]! |= 0x80 >> (i & 7);
  return new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (last & 7) });
}

export interface IssuerRef {
  name: RelativeDistinguishedNames;
  key: KeyObject;
  keyId: Uint8Array;
}

export interface CertSpec {
  subject: NameSpec;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  /** Absent: self-signed with `selfKey`. */
  issuer?: IssuerRef;
  selfKey?: KeyObject;
  ca?: { pathLen?: number };
  keyUsage: readonly (keyof KeyUsageFlags)[];
  extKeyUsage?: { purposes: readonly string[]; critical: boolean };
  aia?: { ocsp: string; caIssuers: string };
  crlUrl?: string;
  policies?: readonly string[];
  ocspNoCheck?: boolean;
}

export interface BuiltCert {
  der: Uint8Array;
  cert: Certificate;
  keyId: Uint8Array;
}

function ext(extnID: string, critical: boolean, value: asn1js.BaseBlock | { toSchema(): asn1js.BaseBlock }): Extension {
  const schema = value instanceof asn1js.BaseBlock ? value : value.toSchema();
  return new Extension({ extnID, critical, extnValue: schema.toBER() });
}

const uri = (value: string): GeneralName => new GeneralName({ type: 6, value });

function extensionsFor(spec: CertSpec, keyId: Uint8Array, issuerKeyId: Uint8Array): Extension[] {
  const out: Extension[] = [
    ext(
      ExtensionOid.basicConstraints,
      spec.ca !== undefined,
      new BasicConstraints(spec.ca ? { cA: true, ...(spec.ca.pathLen !== undefined ? { pathLenConstraint: spec.ca.pathLen } : {}) } : { cA: false }),
    ),
    ext(ExtensionOid.keyUsage, true, keyUsageBitString(spec.keyUsage)),
    ext(ExtensionOid.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyId })),
    ext(ExtensionOid.authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: issuerKeyId }) })),
  ];
  if (spec.extKeyUsage) {
    out.push(ext(ExtensionOid.extKeyUsage, spec.extKeyUsage.critical, new ExtKeyUsage({ keyPurposes: [...spec.extKeyUsage.purposes] })));
  }
  if (spec.aia) {
    out.push(
      ext(
        ExtensionOid.authorityInfoAccess,
        false,
        new InfoAccess({
          accessDescriptions: [
            new AccessDescription({ accessMethod: AccessMethodOid.ocsp, accessLocation: uri(spec.aia.ocsp) }),
            new AccessDescription({ accessMethod: AccessMethodOid.caIssuers, accessLocation: uri(spec.aia.caIssuers) }),
          ],
        }),
      ),
    );
  }
  if (spec.crlUrl) {
    out.push(
      ext(
        ExtensionOid.crlDistributionPoints,
        false,
        new CRLDistributionPoints({ distributionPoints: [new DistributionPoint({ distributionPoint: [uri(spec.crlUrl)] })] }),
      ),
    );
  }
  if (spec.policies?.length) {
    out.push(
      ext(
        ExtensionOid.certificatePolicies,
        false,
        new CertificatePolicies({ certificatePolicies: spec.policies.map((p) => new PolicyInformation({ policyIdentifier: p })) }),
      ),
    );
  }
  if (spec.ocspNoCheck) out.push(ext(ExtensionOid.ocspNoCheck, false, new asn1js.Null()));
  return out;
}

export function buildCertificate(spec: CertSpec): BuiltCert {
  const spkiDer = spec.publicKey.export({ type: 'spki', format: 'der' });
  const spki = PublicKeyInfo.fromBER(spkiDer);
  // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (an identifier, not a security function).
  const keyId = hash('SHA-1', valueBytes(spki.subjectPublicKey));
  const subject = buildName(spec.subject);
  const signingKey = spec.issuer?.key ?? spec.selfKey;
  if (!signingKey) throw new Error('buildCertificate: a self-signed certificate needs selfKey');
  const sigAlg = signatureAlgorithmFor(signingKey, 'SHA-256');

  const cert = new Certificate({
    version: 2, // v3
    serialNumber: asn1js.Integer.fromBigInt(BigInt(`0x${spec.serialHex}`)),
    signature: sigAlg,
    issuer: spec.issuer?.name ?? subject,
    notBefore: x509Time(spec.notBefore),
    notAfter: x509Time(spec.notAfter),
    subject,
    subjectPublicKeyInfo: spki,
    extensions: extensionsFor(spec, keyId, spec.issuer?.keyId ?? keyId),
    signatureAlgorithm: sigAlg,
  });
  cert.tbsView = new Uint8Array(cert.encodeTBS().toBER());
  cert.signatureValue = new asn1js.BitString({ valueHex: signNative(signingKey, 'SHA-256', cert.tbsView) });
  const der = new Uint8Array(cert.toSchema().toBER());
  return { der, cert: Certificate.fromBER(der), keyId };
}
