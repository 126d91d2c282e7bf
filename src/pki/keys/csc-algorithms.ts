// Algorithm identifiers as CSC API v2 signatures/signHash carries them: `hashAlgorithmOID`, `signAlgo` (an OID)
// and, for RSASSA-PSS, `signAlgoParams` (base64 DER RSASSA-PSS-params). Shared by the CSC signer and the test
// CSC server so both sides read the same OIDs the same way.
import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, RSASSAPSSParams } from 'pkijs';
import { signatureOid } from '../cms/oids.ts';
import { digestFromOid, digestOid } from '../native-crypto.ts';
import { SignatureOid } from '../oids.ts';
import { digestLength, type DigestAlgorithm, type SignatureAlgorithm } from '../signer.ts';

export interface CscSignAlgorithm {
  hashAlgorithmOID: string;
  signAlgo: string;
  signAlgoParams?: string;
}

/** RSASSA-PSS-params with explicit SHA-2 hash, MGF1 with the same hash and salt = digest length. */
function pssParams(d: DigestAlgorithm): Uint8Array {
  const hashAlgorithm = new AlgorithmIdentifier({ algorithmId: digestOid(d), algorithmParams: new asn1js.Null() });
  const params = new RSASSAPSSParams({
    hashAlgorithm,
    maskGenAlgorithm: new AlgorithmIdentifier({ algorithmId: SignatureOid.mgf1, algorithmParams: hashAlgorithm.toSchema() }),
    saltLength: digestLength(d),
  });
  return new Uint8Array(params.toSchema().toBER());
}

export function cscSignAlgorithm(a: SignatureAlgorithm): CscSignAlgorithm {
  const out: CscSignAlgorithm = { hashAlgorithmOID: digestOid(a.digest), signAlgo: signatureOid(a) };
  if (a.scheme === 'RSASSA-PSS') out.signAlgoParams = Buffer.from(pssParams(a.digest)).toString('base64');
  return out;
}

/**
 * Reads what a client asked for. Accepts the specific OIDs (sha256WithRSAEncryption, ecdsa-with-SHA256, RSASSA-PSS
 * with parameters) and the key-type OIDs rsaEncryption / id-ecPublicKey with hashAlgorithmOID, as CSC allows.
 * Returns undefined for anything else (SHA-1, PSS with other salt or MGF digest).
 */
export function parseCscSignAlgorithm(signAlgo: string, hashAlgorithmOID: string | undefined, signAlgoParams: string | undefined): SignatureAlgorithm | undefined {
  const hinted = hashAlgorithmOID ? digestFromOid(hashAlgorithmOID) : undefined;
  const hint = hinted === 'SHA-1' ? undefined : hinted;
  const fixed = (digest: DigestAlgorithm, scheme: SignatureAlgorithm['scheme']): SignatureAlgorithm | undefined =>
    hashAlgorithmOID === undefined || hint === digest ? { digest, scheme } : undefined;
  switch (signAlgo) {
    case SignatureOid.sha256WithRSA:
      return fixed('SHA-256', 'RSASSA-PKCS1-v1_5');
    case SignatureOid.sha384WithRSA:
      return fixed('SHA-384', 'RSASSA-PKCS1-v1_5');
    case SignatureOid.sha512WithRSA:
      return fixed('SHA-512', 'RSASSA-PKCS1-v1_5');
    case SignatureOid.ecdsaWithSHA256:
      return fixed('SHA-256', 'ECDSA');
    case SignatureOid.ecdsaWithSHA384:
      return fixed('SHA-384', 'ECDSA');
    case SignatureOid.ecdsaWithSHA512:
      return fixed('SHA-512', 'ECDSA');
    case SignatureOid.rsaEncryption:
      return hint ? { digest: hint, scheme: 'RSASSA-PKCS1-v1_5' } : undefined;
    case SignatureOid.ecPublicKey:
      return hint ? { digest: hint, scheme: 'ECDSA' } : undefined;
    case SignatureOid.rsassaPss: {
      if (!signAlgoParams) return undefined;
      let params: RSASSAPSSParams;
      try {
        params = new RSASSAPSSParams({ schema: asn1js.fromBER(Buffer.from(signAlgoParams, 'base64')).result });
      } catch {
        return undefined;
      }
      const d = digestFromOid(params.hashAlgorithm.algorithmId);
      if (!d || d === 'SHA-1' || (hint && hint !== d)) return undefined;
      const mgfHash = params.maskGenAlgorithm.algorithmParams
        ? new AlgorithmIdentifier({ schema: params.maskGenAlgorithm.algorithmParams }).algorithmId
        : undefined;
      if (params.maskGenAlgorithm.algorithmId !== SignatureOid.mgf1 || mgfHash !== digestOid(d) || params.saltLength !== digestLength(d)) return undefined;
      return { digest: d, scheme: 'RSASSA-PSS' };
    }
  }
  return undefined;
}
