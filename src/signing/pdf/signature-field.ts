// Adds a signature field (merged field + widget annotation) to a page through an incremental update:
// the page's /Annots and the AcroForm /Fields gain the widget, /SigFlags becomes 3. Every object touched is
// rewritten whole in the update; nothing in the original bytes changes.
import { KysoError } from '../../errors.ts';
import { N, PdfDict, PdfRef, PdfString } from '../../pdf/objects.ts';
import type { PageInfo, PdfReader } from '../../pdf/reader.ts';
import type { IncrementalUpdate } from './incremental-writer.ts';

export type { Rect } from '../../pdf/acroform.ts';
import type { Rect } from '../../pdf/acroform.ts';

/** SigFlags bit 1 SignaturesExist, bit 2 AppendOnly (§12.7.2). */
const SIG_FLAGS = 3;
/** Annotation flags Print (4) + Locked (128). */
const WIDGET_FLAGS = 132;

export { listSignatureFields, type ExistingSignatureField } from '../../pdf/acroform.ts';
import { listSignatureFields, type ExistingSignatureField } from '../../pdf/acroform.ts';

export function nextFieldName(reader: PdfReader, base = 'Signature'): string {
  const names = new Set(listSignatureFields(reader).map((f) => f.name));
  const acro = reader.dict(reader.catalog.get('AcroForm'));
  const fields = reader.resolve(acro?.get('Fields'));
  if (Array.isArray(fields)) {
    for (const f of fields) {
      const t = reader.resolve(reader.dict(f)?.get('T'));
      if (t instanceof PdfString) names.add(t.toText());
    }
  }
  for (let i = 1; ; i++) if (!names.has(`${base}${i}`)) return `${base}${i}`;
}

/**
 * Refuses to sign a document certified with DocMDP P=1 (no changes allowed): a new signature would
 * invalidate the certification (ISO 32000-1 §12.8.2.2).
 */
export function assertSigningAllowed(reader: PdfReader): void {
  const perms = reader.dict(reader.catalog.get('Perms'));
  const sig = reader.dict(perms?.get('DocMDP'));
  if (!sig) return;
  const refs = reader.resolve(sig.get('Reference'));
  if (!Array.isArray(refs)) return;
  for (const r of refs) {
    const tp = reader.dict(reader.dict(r)?.get('TransformParams'));
    if (tp && reader.resolve(tp.get('P')) === 1) {
      throw new KysoError('PDF_UNSUPPORTED', 'Tài liệu đã được chứng nhận không cho phép thay đổi (DocMDP P=1); không thể ký thêm', 'The document is certified with no changes allowed (DocMDP P=1); it cannot be signed again');
    }
  }
}

export interface AddFieldParams {
  page: PageInfo;
  name: string;
  signature: PdfRef;
  rect: Rect;
  appearance: PdfRef;
}

/** Creates the field/widget and links it into the page and the AcroForm. Returns the widget reference. */
export function addSignatureField(update: IncrementalUpdate, p: AddFieldParams): PdfRef {
  const widget = update.add(
    new PdfDict({
      Type: N('Annot'),
      Subtype: N('Widget'),
      FT: N('Sig'),
      T: PdfString.text(p.name),
      V: p.signature,
      F: WIDGET_FLAGS,
      Rect: p.rect,
      P: p.page.ref,
      AP: new PdfDict({ N: p.appearance }),
    }),
  );

  // Page /Annots: the array may be direct in the page or its own object.
  const page = (update.current(p.page.ref) as PdfDict).clone();
  const annots = page.get('Annots');
  if (annots instanceof PdfRef) {
    const arr = update.current(annots);
    update.set(annots, [...(Array.isArray(arr) ? arr : []), widget]);
  } else {
    page.set('Annots', [...(Array.isArray(annots) ? annots : []), widget]);
    update.set(p.page.ref, page);
  }

  ensureAcroFormFields(update, [widget]);
  return widget;
}

/**
 * Makes sure the AcroForm exists, lists `newFields` and has /SigFlags 3 (SignaturesExist | AppendOnly).
 * The AcroForm may be indirect (usual), direct in the catalog, or absent.
 */
function ensureAcroFormFields(update: IncrementalUpdate, newFields: PdfRef[]): void {
  const reader = update.reader;
  const catalogRef = reader.catalogRef;
  const acroEntry = (update.current(catalogRef) as PdfDict).get('AcroForm');
  const acroRef = acroEntry instanceof PdfRef ? acroEntry : undefined;
  const acro = (acroRef ? reader.dict(update.current(acroRef)) : acroEntry instanceof PdfDict ? acroEntry : undefined)?.clone() ?? new PdfDict();
  if (newFields.length) {
    const fields = acro.get('Fields');
    if (fields instanceof PdfRef) {
      const arr = update.current(fields);
      update.set(fields, [...(Array.isArray(arr) ? arr : []), ...newFields]);
    } else {
      acro.set('Fields', [...(Array.isArray(fields) ? fields : []), ...newFields]);
    }
  }
  const flags = reader.resolve(acro.get('SigFlags'));
  acro.set('SigFlags', (typeof flags === 'number' ? flags : 0) | SIG_FLAGS);
  if (acroRef) update.set(acroRef, acro);
  else {
    const catalog = (update.current(catalogRef) as PdfDict).clone();
    catalog.set('AcroForm', update.add(acro));
    update.set(catalogRef, catalog);
  }
}

/**
 * Signs into an existing, empty signature field (a template's pre-placed "ký tại đây" box): its /V gets the
 * signature dictionary and its widget the new appearance; no new field is created.
 */
export function fillSignatureField(update: IncrementalUpdate, f: ExistingSignatureField, signature: PdfRef, appearance: PdfRef | undefined): void {
  if (!f.field) {
    throw new KysoError('PDF_UNSUPPORTED', `Trường chữ ký "${f.name}" không phải đối tượng gián tiếp; không ký vào được`, `Signature field "${f.name}" is a direct object and cannot be signed into`);
  }
  const field = (update.current(f.field) as PdfDict).clone();
  field.set('V', signature);
  const merged = !f.widget || f.widget.num === f.field.num;
  if (merged && appearance) field.set('AP', new PdfDict({ N: appearance }));
  update.set(f.field, field);
  if (!merged && appearance && f.widget) {
    const widget = (update.current(f.widget) as PdfDict).clone();
    widget.set('AP', new PdfDict({ N: appearance }));
    update.set(f.widget, widget);
  }
  ensureAcroFormFields(update, []);
}
