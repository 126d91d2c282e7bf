// Signing recipes shared by the interop and verification tests: the Decree 30 sequence a reply goes
// through (competent person's signature image, agency seal over it, text stamp), on real keys.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testPki, type TestIdentityId } from '../../certs-test/index.ts';
import { KeyObjectSigner } from '../../src/pki/keys/key-object-signer.ts';
import type { TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';

export const IMAGES = join(import.meta.dirname, '../fixtures/images');

const signers = new Map<string, KeyObjectSigner>();
/** A test identity's signer, loaded once per test file (PKCS#12 parsing is slow). */
export function signerOf(id: TestIdentityId): KeyObjectSigner {
  let s = signers.get(id);
  if (!s) signers.set(id, (s = KeyObjectSigner.fromPkcs12File(testPki.identity(id).p12, testPki.password)));
  return s;
}

/**
 * Signer image (person, RSA-PSS, B-B), agency seal over it (B-T), then a text stamp (another, ECDSA seal, B-T).
 * The third signature uses another certificate: poppler 22.12's pdfsig reports "Unknown issue with Certificate"
 * for any later signature made with a certificate already used earlier in the same file — reproducible with two
 * `pdfsig -add-signature` runs of its own, so it is not about kyso.
 */
export async function signThree(input: Buffer, server: TestPkiServer): Promise<Buffer[]> {
  const network = { rewrite: server.rewrite };
  const tsaUrl = `${server.url}/tsa`;
  const one = await signDocument(input, {
    signer: signerOf('person-vpcp'),
    network,
    revocationCheck: 'require',
    appearance: { kind: 'signer', image: readFileSync(join(IMAGES, 'signature-blue.png')) },
    reason: 'Phê duyệt văn bản trả lời',
    location: 'Hà Nội',
  });
  const two = await signDocument(one.bytes, {
    signer: signerOf('vpcp-seal'),
    network,
    level: 'B-T',
    tsaUrl,
    revocationCheck: 'require',
    appearance: { kind: 'seal', image: readFileSync(join(IMAGES, 'seal-red.png')) },
  });
  const three = await signDocument(two.bytes, {
    signer: signerOf('ministry-seal'),
    network,
    level: 'B-T',
    tsaUrl,
    revocationCheck: 'require',
    appearance: { kind: 'stamp', numberSymbol: '125/VPCP-KSTT' },
  });
  return [one.bytes, two.bytes, three.bytes];
}
