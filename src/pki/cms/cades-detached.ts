// CAdES detached SignedData as PAdES baseline requires (ETSI EN 319 142-1 §6.3, EN 319 122-1):
// signed attributes content-type, message-digest and signing-certificate-v2, and deliberately NO signing-time
// (the PDF /M carries the claimed time). Built in two phases so the signature value can come from anywhere
// (in-memory key, PKCS#11, a clerk's token in the browser, a CSC service):
//   prepareSignedAttributes() -> bytes to sign -> assembleSignedData(signatureValue, unsigned attributes).
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { KysoError } from '../../errors.ts';
import type { DigestAlgorithm, SignatureAlgorithm, Signer } from '../signer.ts';
import { defaultScheme, digestLength } from '../signer.ts';
import { digestOid } from '../native-crypto.ts';
import { CmsOid, SignatureOid } from '../oids.ts';
import { signatureOid } from './oids.ts';
import { signingCertificateV2Der } from './signing-certificate-v2.ts';
import { bufferSource } from '../../util/bytes.ts';
import { preEncoded } from './pre-encoded.ts';

export interface PreparedSignature {
  algorithm: SignatureAlgorithm;
  /** DER of the signed attributes as a SET: exactly the bytes the signature covers. */
  toBeSigned: Uint8Array;
  certificate: Uint8Array;
  chain: readonly Uint8Array[];
}

export interface PrepareParams {
  certificate: Uint8Array;
  chain?: readonly Uint8Array[];
  keyType: Signer['keyType'];
  digest?: DigestAlgorithm;
  scheme?: SignatureAlgorithm['scheme'];
  /** Digest of the signed content (for PAdES: of the two /ByteRange ranges). */
  contentDigest: Uint8Array;
  /** Extra signed attributes (e.g. a signature policy for other profiles). */
  extraSignedAttributes?: pkijs.Attribute[];
}

const der = (a: pkijs.Attribute): Uint8Array => new Uint8Array(a.toSchema().toBER());
const CONTENT_TYPE_DATA = der(new pkijs.Attribute({ type: CmsOid.contentType, values: [new asn1js.ObjectIdentifier({ value: CmsOid.data })] }));

export function prepareSignedAttributes(p: PrepareParams): PreparedSignature {
  const digest = p.digest ?? 'SHA-256';
  const scheme = p.scheme ?? defaultScheme(p.keyType);
  if (scheme === 'ECDSA' ? p.keyType !== 'EC' : p.keyType !== 'RSA') {
    throw new KysoError('ALGORITHM_UNSUPPORTED', `Lược đồ ký ${scheme} không dùng được với khóa ${p.keyType}`, `Signature scheme ${scheme} does not fit a ${p.keyType} key`);
  }
  if (p.contentDigest.length !== digestLength(digest)) {
    throw new KysoError('INVALID_ARGUMENT', 'Độ dài giá trị băm không khớp thuật toán', `Content digest length does not match ${digest}`);
  }
  // Each attribute is encoded once (the constant ones are cached), then they are put in DER order:
  // SET OF sorts by the elements' encodings (X.690 §11.6).
  const attributes = [
    CONTENT_TYPE_DATA,
    der(new pkijs.Attribute({ type: CmsOid.messageDigest, values: [new asn1js.OctetString({ valueHex: p.contentDigest })] })),
    signingCertificateV2Der(p.certificate, digest),
    ...(p.extraSignedAttributes ?? []).map(der),
  ].sort(Buffer.compare);
  const toBeSigned = new Uint8Array(new asn1js.Set({ value: attributes.map(preEncoded) }).toBER());
  return { algorithm: { digest, scheme }, toBeSigned, certificate: p.certificate, chain: p.chain ?? [] };
}

function signatureAlgorithmIdentifier(a: SignatureAlgorithm): pkijs.AlgorithmIdentifier {
  if (a.scheme === 'RSASSA-PSS') {
    const hashAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: digestOid(a.digest), algorithmParams: new asn1js.Null() });
    const params = new pkijs.RSASSAPSSParams({
      hashAlgorithm,
      maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SignatureOid.mgf1, algorithmParams: hashAlgorithm.toSchema() }),
      saltLength: digestLength(a.digest),
    });
    return new pkijs.AlgorithmIdentifier({ algorithmId: SignatureOid.rsassaPss, algorithmParams: params.toSchema() });
  }
  if (a.scheme === 'ECDSA') return new pkijs.AlgorithmIdentifier({ algorithmId: signatureOid(a) });
  return new pkijs.AlgorithmIdentifier({ algorithmId: signatureOid(a), algorithmParams: new asn1js.Null() });
}

// The SignerIdentifier of a certificate, encoded once: parsing a certificate with pkijs costs about a
// millisecond and a signer signs many documents with the same one.
const signerIds = new WeakMap<Uint8Array, Uint8Array>();
function signerIdentifier(certDer: Uint8Array): Uint8Array {
  let sid = signerIds.get(certDer);
  if (!sid) {
    const cert = pkijs.Certificate.fromBER(bufferSource(certDer));
    sid = new Uint8Array(new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }).toSchema().toBER());
    signerIds.set(certDer, sid);
  }
  return sid;
}

const contextTag = (n: number, value: asn1js.AsnType[]) => new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: n }, value });

/** Assembles the ContentInfo(SignedData) DER from a prepared signature and its value. */
export function assembleSignedData(
  prepared: PreparedSignature,
  signatureValue: Uint8Array,
  unsignedAttributes: pkijs.Attribute[] = [],
): Uint8Array {
  const digestAlgorithm = () => new pkijs.AlgorithmIdentifier({ algorithmId: digestOid(prepared.algorithm.digest) }).toSchema();
  // signedAttrs is [0] IMPLICIT SET OF Attribute: the very bytes that were signed, with the tag changed.
  const signedAttrs = Uint8Array.from(prepared.toBeSigned);
  signedAttrs[0] = 0xa0;
  // SignerInfo and SignedData (RFC 5652 §5.1, §5.3) composed from asn1js parts; pieces that are already DER
  // (certificates, the signer identifier, the signed attributes) go in as they are (see pre-encoded.ts), so
  // nothing a verifier hashes is re-encoded.
  const signerInfo = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 1 }),
      preEncoded(signerIdentifier(prepared.certificate)),
      digestAlgorithm(),
      preEncoded(signedAttrs),
      signatureAlgorithmIdentifier(prepared.algorithm).toSchema(),
      new asn1js.OctetString({ valueHex: signatureValue }),
      ...(unsignedAttributes.length ? [contextTag(1, unsignedAttributes.map((a) => a.toSchema()))] : []),
    ],
  });
  const signedData = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 1 }),
      new asn1js.Set({ value: [digestAlgorithm()] }),
      new pkijs.EncapsulatedContentInfo({ eContentType: CmsOid.data }).toSchema(),
      contextTag(0, [prepared.certificate, ...prepared.chain].map(preEncoded)),
      new asn1js.Set({ value: [signerInfo] }),
    ],
  });
  const contentInfo = new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: CmsOid.signedData }), contextTag(0, [signedData])] });
  return new Uint8Array(contentInfo.toBER());
}

/** The signature-time-stamp unsigned attribute (id-aa-signatureTimeStampToken) wrapping a token's DER. */
export function signatureTimestampAttribute(tokenDer: Uint8Array): pkijs.Attribute {
  const parsed = asn1js.fromBER(bufferSource(tokenDer));
  if (parsed.offset === -1) throw new KysoError('TSA_FAILED', 'Dấu thời gian không đúng định dạng', 'Timestamp token is not valid DER');
  return new pkijs.Attribute({ type: CmsOid.signatureTimeStampToken, values: [parsed.result] });
}

export interface CadesSignOptions {
  signer: Signer;
  digest?: DigestAlgorithm;
  scheme?: SignatureAlgorithm['scheme'];
  contentDigest: Uint8Array;
  /** Called with the signature value; returns a RFC 3161 token over it (PAdES/CAdES baseline T). */
  timestamp?: (signatureValue: Uint8Array, digest: DigestAlgorithm) => Promise<Uint8Array>;
}

/** One-shot: prepare, sign with the Signer, optionally timestamp, assemble. */
export async function signCadesDetached(o: CadesSignOptions): Promise<Uint8Array> {
  const prepared = prepareSignedAttributes({
    certificate: o.signer.certificate,
    chain: o.signer.chain,
    keyType: o.signer.keyType,
    digest: o.digest,
    scheme: o.scheme,
    contentDigest: o.contentDigest,
  });
  const value = await o.signer.sign(prepared.toBeSigned, prepared.algorithm);
  const unsigned = o.timestamp ? [signatureTimestampAttribute(await o.timestamp(value, prepared.algorithm.digest))] : [];
  return assembleSignedData(prepared, value, unsigned);
}
