// AcroForm field enumeration (ISO 32000-1 §12.7): terminal signature fields with their full names, widget
// and value. Shared by signing (next free name, where the signer's widget is) and verification.
import { PdfObject, PdfRef, PdfString } from './objects.ts';
import type { PdfReader } from './reader.ts';

export type Rect = [number, number, number, number];

export interface ExistingSignatureField {
  name: string;
  /** The terminal field object (the one holding /V); undefined when it is a direct object. */
  field: PdfRef | undefined;
  widget: PdfRef | undefined;
  rect: Rect | undefined;
  pageRef: PdfRef | undefined;
  signed: boolean;
  /** The field's /V (normally a reference to the signature dictionary). */
  value: PdfObject | undefined;
}

/** Lists terminal signature fields (walking /Kids), with their widget rectangles. */
export function listSignatureFields(reader: PdfReader): ExistingSignatureField[] {
  const acro = reader.dict(reader.catalog.get('AcroForm'));
  const fields = reader.resolve(acro?.get('Fields'));
  const out: ExistingSignatureField[] = [];
  if (!Array.isArray(fields)) return out;
  const seen = new Set<number>();
  const walk = (o: PdfObject, prefix: string, inheritedFt: string | undefined, depth: number): void => {
    if (depth > 32) return;
    if (o instanceof PdfRef) {
      if (seen.has(o.num)) return;
      seen.add(o.num);
    }
    const d = reader.dict(o);
    if (!d) return;
    const t = reader.resolve(d.get('T'));
    const part = t instanceof PdfString ? t.toText() : '';
    const name = part ? (prefix ? `${prefix}.${part}` : part) : prefix;
    const ft = d.name('FT') ?? inheritedFt;
    const kids = reader.resolve(d.get('Kids'));
    if (Array.isArray(kids) && kids.some((k) => reader.dict(k)?.has('T'))) {
      for (const k of kids) walk(k, name, ft, depth + 1);
      return;
    }
    if (ft !== 'Sig') return;
    const widgetObj = Array.isArray(kids) && kids.length ? kids[0] : o;
    const widget = reader.dict(widgetObj);
    const p = widget?.get('P');
    out.push({
      name,
      field: o instanceof PdfRef ? o : undefined,
      widget: widgetObj instanceof PdfRef ? widgetObj : undefined,
      rect: reader.rect(widget?.get('Rect')),
      pageRef: p instanceof PdfRef ? p : undefined,
      signed: d.has('V') && reader.resolve(d.get('V')) !== null,
      value: d.get('V'),
    });
  };
  for (const f of fields) walk(f, '', undefined, 0);
  return out;
}

