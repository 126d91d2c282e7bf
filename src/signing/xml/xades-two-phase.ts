// XAdES in two phases: the canonical ds:SignedInfo is computed here, signed elsewhere (a clerk's browser or
// token), and the signature is completed later — possibly in another process.
//
// How it reuses the one-shot signer without a second copy of its XML assembly: signXmlDetailed is a pure
// function of (document, certificate, algorithm, signing time, signature Id, placement). Preparing runs it with
// a Signer that captures the canonical SignedInfo and stops it there; completing runs it again with the same
// inputs and a Signer that hands back the external value — after checking that the SignedInfo it is asked to
// sign is byte for byte the one prepared (so the value is embedded only over what was announced). The cost is
// one more canonicalization of the document on completion, a few milliseconds.
import { randomBytes } from 'node:crypto';
import { KysoError } from '../../errors.ts';
import type { PkiNetworkOptions } from '../../pki/pki-http.ts';
import type { DigestAlgorithm, KeyType, SignatureAlgorithm, SignatureScheme, Signer } from '../../pki/signer.ts';
import { signatureParent } from './sign-xml-document.ts';
import { defaultXmlScheme, signXmlDetailed, type SignedXml, type SignXmlOptions, type XadesLevel } from './xades-signer.ts';

/** The inputs that fix the signature's bytes: JSON-safe, kept between the two phases. */
export interface XadesTwoPhaseParams {
  level: XadesLevel;
  digest: DigestAlgorithm;
  scheme: SignatureScheme;
  /** ISO time written as SigningTime. */
  signingTime: string;
  signatureId: string;
  /** Signature inside edXMLHeader for edXML (QCVN 102), else last child of the root — as signXmlDocument does. */
  placement: 'auto' | 'root';
  /** edXML: leave the routing trace out of the signature (default true, as signXmlDocument). */
  excludeEdxmlTrace: boolean;
}

export interface XadesKey {
  certificate: Uint8Array;
  chain: readonly Uint8Array[];
  keyType: KeyType;
  keyBits: number;
}

/** Thrown by the capturing Signer to stop the one-shot signer once SignedInfo is known. */
class Captured extends Error {
  constructor(readonly data: Uint8Array) {
    super('captured');
  }
}

function options(p: XadesTwoPhaseParams, signer: Signer, extra: Partial<SignXmlOptions> = {}): SignXmlOptions {
  return {
    signer,
    level: p.level,
    digest: p.digest,
    scheme: p.scheme,
    signingTime: new Date(p.signingTime),
    signatureId: p.signatureId,
    parent: p.placement === 'auto' ? signatureParent : undefined,
    excludeEdxmlTrace: p.excludeEdxmlTrace,
    ...extra,
  };
}

export function defaultXadesParams(key: Pick<XadesKey, 'keyType'>, o: Partial<XadesTwoPhaseParams> & { now?: Date } = {}): XadesTwoPhaseParams {
  return {
    level: o.level ?? 'B-B',
    digest: o.digest ?? 'SHA-256',
    scheme: o.scheme ?? defaultXmlScheme(key.keyType),
    signingTime: o.signingTime ?? (o.now ?? new Date()).toISOString(),
    signatureId: o.signatureId ?? `id-${randomBytes(12).toString('hex')}`,
    placement: o.placement ?? 'auto',
    excludeEdxmlTrace: o.excludeEdxmlTrace ?? true,
  };
}

/** The canonical ds:SignedInfo (UTF-8) the signature value must cover, and the algorithm. */
export async function prepareXadesSignature(xml: Uint8Array, key: XadesKey, p: XadesTwoPhaseParams): Promise<{ signedInfo: Uint8Array; algorithm: SignatureAlgorithm }> {
  const capturing: Signer = {
    ...key,
    sign: async (data) => {
      throw new Captured(new Uint8Array(data));
    },
  };
  try {
    // The timestamper is never reached (signing stops first); it only satisfies B-T's precondition.
    await signXmlDetailed(xml, options(p, capturing, { timestamper: async () => new Uint8Array(0) }));
  } catch (e) {
    if (e instanceof Captured) return { signedInfo: e.data, algorithm: { digest: p.digest, scheme: p.scheme } };
    throw e;
  }
  throw new KysoError('INVALID_ARGUMENT', 'Không tạo được dữ liệu cần ký', 'No data to sign was produced');
}

/**
 * Builds the signed document with an externally made signature value (DER for ECDSA, as the Signer interface
 * carries it). `signedInfo` is what prepareXadesSignature returned; a different one is refused.
 */
export async function completeXadesSignature(
  xml: Uint8Array,
  key: XadesKey,
  p: XadesTwoPhaseParams,
  signedInfo: Uint8Array,
  signatureValue: Uint8Array,
  o: { tsaUrl?: string; network?: PkiNetworkOptions; timestamper?: (data: Uint8Array, digest: DigestAlgorithm) => Promise<Uint8Array> } = {},
): Promise<SignedXml> {
  const replaying: Signer = {
    ...key,
    sign: async (data) => {
      if (Buffer.compare(Buffer.from(data), Buffer.from(signedInfo)) !== 0) {
        throw new KysoError('INVALID_ARGUMENT', 'Dữ liệu cần ký đã thay đổi so với lúc chuẩn bị', 'The data to sign differs from what was prepared');
      }
      return signatureValue;
    },
  };
  return signXmlDetailed(xml, options(p, replaying, { tsaUrl: o.tsaUrl, network: o.network, timestamper: o.timestamper }));
}
