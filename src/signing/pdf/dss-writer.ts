// Writes validation data into a PDF's Document Security Store (ETSI EN 319 142-1 §5.4.2; ISO 32000-2 §12.8.4.3)
// as one incremental update: /DSS with /Certs, /OCSPs, /CRLs (one stream per DER object, the existing ones kept
// and never duplicated) and /VRI entries keyed by the uppercase hex SHA-1 of a signature's /Contents value.
// Earlier signatures stay valid: only the catalog (or the existing /DSS object) and new objects are written.
import { createHash } from 'node:crypto';
import { KysoError } from '../../errors.ts';
import { decodeStream } from '../../pdf/filters.ts';
import { N, PdfDict, PdfObject, PdfRef, PdfStream } from '../../pdf/objects.ts';
import { PdfReader } from '../../pdf/reader.ts';
import type { ValidationMaterial } from '../validation-data.ts';
import { IncrementalUpdate } from './incremental-writer.ts';

export interface VriEntry {
  /** The signature's /Contents string bytes exactly as stored (with the zero padding). */
  contents: Uint8Array;
  material: ValidationMaterial;
}

export interface DssUpdate {
  /** Validation data to store in /Certs, /OCSPs, /CRLs. */
  material: ValidationMaterial;
  /** Per-signature entries for /VRI. */
  vri?: readonly VriEntry[];
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('base64');

/** The /VRI key of a signature: uppercase hex SHA-1 of its /Contents bytes. */
export const vriKey = (contents: Uint8Array): string => createHash('sha1').update(contents).digest('hex').toUpperCase();

type Kind = 'Certs' | 'OCSPs' | 'CRLs';
const VRI_KEY: Record<Kind, string> = { Certs: 'Cert', OCSPs: 'OCSP', CRLs: 'CRL' };

/** Appends a /DSS update; returns the input unchanged when every item is already in the store. */
export function appendDss(pdf: Uint8Array, u: DssUpdate): Buffer {
  const reader = PdfReader.open(pdf);
  if (reader.isEncrypted) {
    throw new KysoError('PDF_ENCRYPTED', 'Tệp PDF được mã hóa; không thể bổ sung dữ liệu kiểm tra', 'The PDF is encrypted; validation data cannot be added');
  }
  const update = new IncrementalUpdate(reader);
  const catalog = reader.catalog;
  const dssRaw = catalog.get('DSS');
  const oldDss = reader.dict(dssRaw);
  const dss = oldDss ? oldDss.clone() : new PdfDict({ Type: N('DSS') });
  let changed = false;

  // Existing entries, by content hash, so nothing is stored twice.
  const refs: Record<Kind, Map<string, PdfObject>> = { Certs: new Map(), OCSPs: new Map(), CRLs: new Map() };
  for (const kind of Object.keys(refs) as Kind[]) {
    const arr = reader.resolve(dss.get(kind));
    if (!Array.isArray(arr)) continue;
    for (const item of arr) {
      const s = reader.resolve(item);
      if (!(s instanceof PdfStream)) continue;
      try {
        refs[kind].set(sha256(decodeStream(s, 16 * 1024 * 1024)), item);
      } catch {
        refs[kind].set(`undecodable:${refs[kind].size}`, item); // kept as found
      }
    }
  }
  const refOf = (kind: Kind, der: Uint8Array): PdfObject => {
    const h = sha256(der);
    let r = refs[kind].get(h);
    if (!r) {
      r = update.add(new PdfStream(new PdfDict(), der));
      refs[kind].set(h, r);
      changed = true;
    }
    return r;
  };
  const lists = (m: ValidationMaterial): Record<Kind, PdfObject[]> => ({
    Certs: m.certificates.map((d) => refOf('Certs', d)),
    OCSPs: m.ocspResponses.map((d) => refOf('OCSPs', d)),
    CRLs: m.crls.map((d) => refOf('CRLs', d)),
  });
  lists(u.material);

  if (u.vri?.length) {
    const oldVri = reader.dict(dss.get('VRI'));
    const vri = oldVri ? oldVri.clone() : new PdfDict();
    for (const e of u.vri) {
      const key = vriKey(e.contents);
      const entry = reader.dict(vri.get(key))?.clone() ?? new PdfDict();
      const mine = lists(e.material);
      for (const kind of Object.keys(mine) as Kind[]) {
        const before = reader.resolve(entry.get(VRI_KEY[kind]));
        const have = Array.isArray(before) ? [...before] : [];
        for (const r of mine[kind]) {
          if (!have.some((x) => x instanceof PdfRef && r instanceof PdfRef && x.num === r.num)) {
            have.push(r);
            changed = true;
          }
        }
        if (have.length) entry.set(VRI_KEY[kind], have);
      }
      vri.set(key, entry);
    }
    dss.set('VRI', vri);
  }
  if (!changed) return Buffer.from(pdf);

  for (const kind of Object.keys(refs) as Kind[]) if (refs[kind].size) dss.set(kind, [...refs[kind].values()]);
  if (dssRaw instanceof PdfRef) update.set(dssRaw, dss);
  else {
    const cat = catalog.clone();
    cat.set('DSS', update.add(dss));
    // PDF 1.7 readers learn of /DSS from the ETSI extension (EN 319 142-1 §5.4.1); PDF 2.0 has it built in.
    if (Number(reader.version) < 2 && !reader.dict(cat.get('Extensions'))?.has('ESIC')) {
      const ext = reader.dict(cat.get('Extensions'))?.clone() ?? new PdfDict();
      ext.set('ESIC', new PdfDict({ BaseVersion: N('1.7'), ExtensionLevel: 5 }));
      cat.set('Extensions', ext);
    }
    update.set(reader.catalogRef, cat);
  }
  const { bytes: tail } = update.serialize();
  return Buffer.concat([reader.bytes, tail]);
}

/** The certificates already in the /DSS, so gathering validation data does not download what the file holds. */
export function readDssCertificates(reader: PdfReader): Uint8Array[] {
  const dss = reader.dict(reader.catalog.get('DSS'));
  const arr = reader.resolve(dss?.get('Certs'));
  const out: Uint8Array[] = [];
  if (!Array.isArray(arr)) return out;
  for (const item of arr) {
    const s = reader.resolve(item);
    if (!(s instanceof PdfStream)) continue;
    try {
      out.push(decodeStream(s, 1024 * 1024));
    } catch {
      // not usable; the verifier will say so
    }
  }
  return out;
}
