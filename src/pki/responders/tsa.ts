// A pure RFC 3161 time-stamping authority: TimeStampReq DER in, TimeStampResp DER out. The token is a CMS
// SignedData over TSTInfo, signed with Node crypto and carrying ESS signing-certificate-v2 (RFC 5816), which
// `openssl ts -verify` and PAdES validators require.

import { randomBytes, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  Accuracy,
  Attribute,
  ContentInfo,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  PKIStatusInfo,
  SignedAndUnsignedAttributes,
  SignedData,
  SignerInfo,
  TSTInfo,
  TimeStampReq,
  TimeStampResp,
  type Certificate,
} from 'pkijs';
import { bufferSource } from '../../util/bytes.ts';
import { signingCertificateV2Attribute } from '../cms/signing-certificate-v2.ts';
import { certificateDer } from '../certificate.ts';
import { digestAlgorithmIdentifier, digestFromOid, hash, signNative, signatureAlgorithmFor } from '../native-crypto.ts';
import { CmsOid, TestPolicyOid } from '../oids.ts';
import { digestLength, type DigestAlgorithm } from '../signer.ts';

export interface TsaConfig {
  tsaCert: Certificate;
  tsaKey: KeyObject;
  /** TSA policy OID put in every TSTInfo; requests naming another policy are rejected. */
  policy?: string;
  now?: () => Date;
  /** Serial number source; default 64 random bits (unique without shared state). */
  serial?: () => bigint;
  /** Digest for the token's own signature; default SHA-256. */
  digest?: DigestAlgorithm;
}

/** PKIFailureInfo bit numbers (RFC 3161 §2.4.2). */
const FailInfo = { badAlg: 0, badRequest: 2, badDataFormat: 5, unacceptedPolicy: 15 } as const;

/** PKIFailureInfo as a DER BIT STRING with a single bit set (trailing zero bits trimmed). */
function failInfoBits(bit: number): asn1js.BitString {
  const bytes = new Uint8Array((bit >> 3) + 1);
  bytes[bit >> 3] = 0x80 >> (bit & 7);
  return new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (bit & 7) });
}

function rejection(bit: number, text: string): Uint8Array {
  const status = new PKIStatusInfo({
    status: 2, // rejection
    statusStrings: [new asn1js.Utf8String({ value: text })],
    failInfo: failInfoBits(bit),
  });
  return new Uint8Array(new TimeStampResp({ status }).toSchema().toBER());
}

/** DER SET OF sorts its elements by encoding (X.690 §11.6); verifiers re-encode, so we must emit that order. */
function derSorted(attrs: Attribute[]): Attribute[] {
  return attrs
    .map((a) => ({ a, der: Buffer.from(a.toSchema().toBER()) }))
    .sort((x, y) => Buffer.compare(x.der, y.der))
    .map((x) => x.a);
}

function attribute(type: string, value: asn1js.BaseBlock): Attribute {
  return new Attribute({ type, values: [value] });
}

export function respondTimestamp(requestDer: Uint8Array, cfg: TsaConfig): Uint8Array {
  let req: TimeStampReq;
  try {
    req = TimeStampReq.fromBER(bufferSource(requestDer));
  } catch {
    return rejection(FailInfo.badDataFormat, 'malformed TimeStampReq');
  }
  const imprintDigest = digestFromOid(req.messageImprint.hashAlgorithm.algorithmId);
  // Annex I of TT 15/2025 rules out SHA-1: refuse it rather than certify a weak imprint.
  if (!imprintDigest || imprintDigest === 'SHA-1') return rejection(FailInfo.badAlg, 'unsupported hash algorithm');
  if (req.messageImprint.hashedMessage.valueBlock.valueHexView.byteLength !== digestLength(imprintDigest)) {
    return rejection(FailInfo.badDataFormat, 'hashedMessage length does not match its algorithm');
  }
  const policy = cfg.policy ?? TestPolicyOid.tsaPolicy;
  if (req.reqPolicy && req.reqPolicy !== policy) return rejection(FailInfo.unacceptedPolicy, 'unaccepted policy');

  const genTime = cfg.now?.() ?? new Date();
  const serial = cfg.serial?.() ?? BigInt(`0x${randomBytes(8).toString('hex')}`);
  const tstInfo = new TSTInfo({
    version: 1,
    policy,
    messageImprint: req.messageImprint,
    serialNumber: asn1js.Integer.fromBigInt(serial),
    genTime,
    accuracy: new Accuracy({ seconds: 1 }),
    ...(req.nonce ? { nonce: req.nonce } : {}),
  });
  const tstInfoDer = new Uint8Array(tstInfo.toSchema().toBER());

  const digest = cfg.digest ?? 'SHA-256';
  const tsaCertDer = certificateDer(cfg.tsaCert);
  const signedAttrs = new SignedAndUnsignedAttributes({
    type: 0,
    attributes: derSorted([
      attribute(CmsOid.contentType, new asn1js.ObjectIdentifier({ value: CmsOid.tstInfo })),
      attribute(CmsOid.signingTime, new asn1js.UTCTime({ valueDate: genTime })),
      attribute(CmsOid.messageDigest, new asn1js.OctetString({ valueHex: hash(digest, tstInfoDer) })),
      signingCertificateV2Attribute(tsaCertDer, digest),
    ]),
  });
  // The signature covers the attributes encoded as a SET (tag 0x31), not as the [0] IMPLICIT field (RFC 5652 §5.4).
  const toBeSigned = new Uint8Array(signedAttrs.toSchema().toBER());
  toBeSigned[0] = 0x31;

  const signerInfo = new SignerInfo({
    version: 1,
    sid: new IssuerAndSerialNumber({ issuer: cfg.tsaCert.issuer, serialNumber: cfg.tsaCert.serialNumber }),
    digestAlgorithm: digestAlgorithmIdentifier(digest),
    signedAttrs,
    signatureAlgorithm: signatureAlgorithmFor(cfg.tsaKey, digest),
    signature: new asn1js.OctetString({ valueHex: signNative(cfg.tsaKey, digest, toBeSigned) }),
  });

  const encap = new EncapsulatedContentInfo({ eContentType: CmsOid.tstInfo });
  // Assigned after construction: the constructor would re-wrap a primitive OCTET STRING as a constructed (BER)
  // one, and timestamp tokens are DER.
  encap.eContent = new asn1js.OctetString({ valueHex: tstInfoDer });
  const signedData = new SignedData({
    version: 3,
    digestAlgorithms: [digestAlgorithmIdentifier(digest)],
    encapContentInfo: encap,
    ...(req.certReq ? { certificates: [cfg.tsaCert] } : {}),
    signerInfos: [signerInfo],
  });
  const token = new ContentInfo({ contentType: CmsOid.signedData, content: signedData.toSchema(true) });
  const resp = new TimeStampResp({ status: new PKIStatusInfo({ status: 0 }), timeStampToken: token });
  return new Uint8Array(resp.toSchema().toBER());
}

