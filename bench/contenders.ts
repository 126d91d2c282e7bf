// The signing routes under test, each as `sign(pdf) -> signed pdf` with its setup done once outside the loop
// exactly where a long-running service would do it.
// Modules are imported inside makeContender, so a child process measuring one contender's memory loads
// only that contender's code (pdf-lib + forge for @signpdf, kyso's own modules for kyso).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AppearanceBuilder } from '../src/signing/pdf/pades.ts';
import type { BenchKey } from './key-material.ts';

export type ContenderId = 'kyso' | 'kyso-visible' | 'signpdf';
export type SignFn = (pdf: Buffer) => Promise<Buffer>;

export const CONTENDER_LABEL: Record<ContenderId, string> = {
  kyso: 'kyso signPdf B-B invisible',
  'kyso-visible': 'kyso signPdf B-B visible (signer PNG)',
  signpdf: '@signpdf 3.3 stock (pdf-lib placeholder + P12Signer)',
};

const SIGNATURE_PNG = resolve(import.meta.dirname, '../test/fixtures/images/signature-blue.png');
const FIXED_TIME = new Date('2026-01-15T03:00:00Z');

/** The visible-appearance builder, when src/signing/pdf/appearance exists and loads (it is being written). */
export async function visibleAppearance(): Promise<{ builder?: AppearanceBuilder; why?: string }> {
  const placement = resolve(import.meta.dirname, '../src/signing/pdf/placement.ts');
  const appearance = resolve(import.meta.dirname, '../src/signing/pdf/appearance/appearance.ts');
  if (!existsSync(appearance) || !existsSync(placement)) return { why: 'src/signing/pdf/appearance/appearance.ts not present' };
  if (!existsSync(SIGNATURE_PNG)) return { why: 'test/fixtures/images/signature-blue.png not present' };
  try {
    const mod = (await import(placement)) as typeof import('../src/signing/pdf/placement.ts');
    return { builder: mod.appearanceBuilder({ kind: 'signer', image: readFileSync(SIGNATURE_PNG) }) };
  } catch (e) {
    return { why: `appearance module failed to load: ${(e as Error).message}` };
  }
}

export async function makeContender(id: ContenderId, key: BenchKey): Promise<SignFn> {
  switch (id) {
    case 'kyso':
    case 'kyso-visible': {
      const { KeyObjectSigner } = await import('../src/pki/keys/key-object-signer.ts');
      const { signPdf } = await import('../src/signing/pdf/pades.ts');
      // Key loaded once: PKCS#12 parsed by forge a single time, then native KeyObject signing.
      const signer = KeyObjectSigner.fromPkcs12File(key.p12Path, key.password);
      let appearance: AppearanceBuilder | undefined;
      if (id === 'kyso-visible') {
        const v = await visibleAppearance();
        if (!v.builder) throw new Error(`kyso-visible unavailable: ${v.why}`);
        appearance = v.builder;
      }
      return (pdf) => signPdf(pdf, { signer, level: 'B-B', signingTime: FIXED_TIME, reason: 'bench', appearance });
    }
    case 'signpdf': {
      // The stock route from the @signpdf README. The P12 bytes are held in memory, but a P12Signer signs only
      // once, so each request builds a new one (and forge re-parses the container inside sign()).
      // signatureLength counts hex digits: the default 8,192 (4,096 bytes) cannot hold a CMS with a
      // 3-certificate chain (≈5.2 KB), so reserve 16,384 (8 KB) as a user would after the first
      // "Signature exceeds placeholder length" error; kyso reserves ≈7 KB for the same key.
      const { PDFDocument } = await import('pdf-lib');
      const { pdflibAddPlaceholder } = await import('@signpdf/placeholder-pdf-lib');
      const { SignPdf } = await import('@signpdf/signpdf');
      const { P12Signer } = await import('@signpdf/signer-p12');
      const p12 = readFileSync(key.p12Path);
      const signpdf = new SignPdf();
      return async (pdf) => {
        const doc = await PDFDocument.load(pdf);
        pdflibAddPlaceholder({ pdfDoc: doc, reason: 'bench', contactInfo: 'bench@example.vn', name: 'bench', location: 'Hà Nội', signingTime: FIXED_TIME, signatureLength: 16_384 });
        const withPlaceholder = Buffer.from(await doc.save({ useObjectStreams: false }));
        return signpdf.sign(withPlaceholder, new P12Signer(p12, { passphrase: key.password }));
      };
    }
  }
}
