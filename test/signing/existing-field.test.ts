// Signing into a pre-placed, empty signature field (a template's "ký tại đây" box): the field is filled, no new
// field appears, the appearance fills the box, and the result verifies, also for a later signature.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { N, PdfDict, PdfString } from '../../src/pdf/objects.ts';
import { PdfReader } from '../../src/pdf/reader.ts';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { IncrementalUpdate } from '../../src/signing/pdf/incremental-writer.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import { listSignatureFields } from '../../src/signing/pdf/signature-field.ts';
import { verifyPdf } from '../../src/verify/pdf/pdf-validator.ts';
import { TrustStore } from '../../src/verify/trust-store.ts';
import { samples } from '../fixtures/pdf/index.ts';
import { IMAGES, signerOf } from '../helpers/signing.ts';
import { pdfsig, tempFile } from '../helpers/tools.ts';

/** A template with an empty signature field "KyTaiDay" on page 1 (what document systems pre-place). */
function withEmptyField(pdf: Buffer): Buffer {
  const reader = PdfReader.open(pdf);
  const u = new IncrementalUpdate(reader);
  const page = reader.getPage(0);
  const widget = u.add(new PdfDict({ Type: N('Annot'), Subtype: N('Widget'), FT: N('Sig'), T: PdfString.text('KyTaiDay'), F: 4, Rect: [350, 150, 500, 230], P: page.ref }));
  u.set(page.ref, page.dict.clone().set('Annots', [widget]));
  u.set(reader.catalogRef, reader.catalog.clone().set('AcroForm', u.add(new PdfDict({ Fields: [widget] }))));
  return Buffer.concat([pdf, u.serialize().bytes]);
}

let server: TestPkiServer;
beforeAll(async () => {
  server = await startTestPkiServer();
});
afterAll(async () => server?.close());

describe('signing into an existing empty signature field', () => {
  it('fills the field, keeps its box, and verifies (also after a second signature)', async () => {
    const template = withEmptyField(readFileSync(samples.find((s) => s.id === 'pdflib-table')!.file));
    const network = { rewrite: server.rewrite };
    const one = await signDocument(template, {
      signer: signerOf('person-vpcp'),
      network,
      fieldName: 'KyTaiDay',
      appearance: { kind: 'signer', image: readFileSync(join(IMAGES, 'signature-blue.png')) },
    });
    const fields = listSignatureFields(PdfReader.open(one.bytes));
    expect(fields.map((f) => [f.name, f.signed])).toEqual([['KyTaiDay', true]]);
    expect(fields[0].rect).toEqual([350, 150, 500, 230]);
    const two = await signDocument(one.bytes, { signer: signerOf('vpcp-seal'), network, appearance: { kind: 'seal', image: readFileSync(join(IMAGES, 'seal-red.png')) } });
    const r = await verifyPdf(two.bytes, { trust: TrustStore.demo(), network });
    expect(r.signatures.map((s) => [s.id, s.indication])).toEqual([
      ['KyTaiDay', 'TOTAL_PASSED'],
      ['Signature1', 'TOTAL_PASSED'],
    ]);
    expect(pdfsig(tempFile('signed.pdf', two.bytes)).signatures.map((s) => s.validation)).toEqual(['Signature is Valid.', 'Signature is Valid.']);
  });

  it('refuses a field that is already signed', async () => {
    const template = withEmptyField(readFileSync(samples[0].file));
    const one = await signDocument(template, { signer: signerOf('person-vpcp'), revocationCheck: 'off', fieldName: 'KyTaiDay' });
    await expect(signDocument(one.bytes, { signer: signerOf('person-vpcp'), revocationCheck: 'off', fieldName: 'KyTaiDay' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

