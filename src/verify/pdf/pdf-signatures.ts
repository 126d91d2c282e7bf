// Finds the signatures of a PDF and checks their byte-level structure: the defences against Universal
// Signature Forgery and Signature Wrapping (signature-security.md §1): /ByteRange shape, the gap being
// exactly this dictionary's /Contents hex string, zero padding, no collisions between signatures.
import * as asn1js from 'asn1js';
import { listSignatureFields } from '../../pdf/acroform.ts';
import { parsePdfDate } from '../../pdf/dates.ts';
import { PdfDict, PdfRef, PdfString } from '../../pdf/objects.ts';
import { PdfParser } from '../../pdf/parser.ts';
import type { PdfReader } from '../../pdf/reader.ts';
import { bufferSource } from '../../util/bytes.ts';
import { derElementLength } from '../../util/der-length.ts';
import type { Check, CheckId, SubIndication } from '../report.ts';

export type SignatureKind = 'signature' | 'document-timestamp';

export interface PdfSignature {
  fieldName: string;
  kind: SignatureKind;
  subFilter: string | undefined;
  dictRef: PdfRef | undefined;
  dict: PdfDict;
  /** Valid [a, b, c, d] or undefined when malformed. */
  byteRange: [number, number, number, number] | undefined;
  /** CMS DER with the placeholder padding removed (undefined when /Contents is unusable). */
  cms: Uint8Array | undefined;
  claimedTime: Date | undefined;
  reason?: string;
  location?: string;
  /** DocMDP P of a certification signature (catalog /Perms /DocMDP points at this dictionary). */
  certification?: 1 | 2 | 3;
  /** Structure checks (BYTE_RANGE, CONTENTS_GAP, SUB_FILTER; BYTE_RANGE_COLLISION is added across signatures). */
  checks: Check[];
}

const KNOWN_SUBFILTERS: Record<string, SignatureKind> = {
  'ETSI.CAdES.detached': 'signature',
  'adbe.pkcs7.detached': 'signature',
  'ETSI.RFC3161': 'document-timestamp',
};

const pass = (id: CheckId, vi: string, en: string): Check => ({ id, status: 'PASSED', message: { vi, en } });
const fail = (id: CheckId, sub: SubIndication, vi: string, en: string): Check => ({ id, status: 'FAILED', subIndication: sub, message: { vi, en } });

function text(reader: PdfReader, d: PdfDict, key: string): string | undefined {
  const v = reader.resolve(d.get(key));
  return v instanceof PdfString ? v.toText() : undefined;
}

/** P of the certification signature whose dictionary is `ref`, if any (default P=2, ISO 32000-1 §12.8.2.2). */
function certificationOf(reader: PdfReader, ref: PdfRef | undefined): 1 | 2 | 3 | undefined {
  if (!ref) return undefined;
  const perms = reader.dict(reader.catalog.get('Perms'));
  const docMdp = perms?.get('DocMDP');
  if (!(docMdp instanceof PdfRef) || docMdp.num !== ref.num) return undefined;
  const refs = reader.resolve(reader.dict(docMdp)?.get('Reference'));
  let p: unknown = 2;
  if (Array.isArray(refs)) {
    for (const r of refs) {
      const sr = reader.dict(r);
      if (sr?.name('TransformMethod') !== 'DocMDP') continue;
      const tp = reader.dict(sr.get('TransformParams'));
      const v = reader.resolve(tp?.get('P'));
      if (typeof v === 'number') p = v;
    }
  }
  return p === 1 || p === 3 ? p : 2;
}

/** The byte span [start, end) of an indirect object stored at a plain offset (undefined if compressed). */
function objectSpan(reader: PdfReader, ref: PdfRef): [number, number] | undefined {
  const e = reader.entry(ref.num);
  if (!e || e.type !== 'offset') return undefined;
  const p = new PdfParser(reader.bytes, e.offset);
  try {
    p.parseIndirect();
  } catch {
    return undefined;
  }
  return [e.offset, p.pos];
}

const isHexDigit = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

function checkByteRange(reader: PdfReader, sig: PdfSignature): void {
  const bytes = reader.bytes;
  const raw = reader.resolve(sig.dict.get('ByteRange'));
  const br = Array.isArray(raw) ? raw.map((x) => reader.resolve(x)) : undefined;
  if (!br || br.length !== 4 || !br.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
    sig.checks.push(fail('BYTE_RANGE', 'FORMAT_FAILURE', '/ByteRange thiếu hoặc không phải bốn số nguyên không âm', '/ByteRange is missing or not four non-negative integers'));
    return;
  }
  const [a, b, c, d] = br as number[];
  if (a !== 0 || b <= 0 || c <= b || d <= 0 || c + d > bytes.length) {
    sig.checks.push(
      fail('BYTE_RANGE', 'FORMAT_FAILURE', `/ByteRange [${a} ${b} ${c} ${d}] không hợp lệ (phải bắt đầu từ 0, hai đoạn, nằm trong tệp)`, `/ByteRange [${a} ${b} ${c} ${d}] is invalid (must start at 0, two ranges, inside the file)`),
    );
    return;
  }
  sig.byteRange = [a, b, c, d];
  sig.checks.push(pass('BYTE_RANGE', 'Cấu trúc /ByteRange hợp lệ', '/ByteRange is well formed'));

  // The gap must be exactly the hex string that is this dictionary's /Contents.
  const span = sig.dictRef ? objectSpan(reader, sig.dictRef) : undefined;
  const contents = sig.dict.get('Contents');
  const inside = span !== undefined && b > span[0] && c <= span[1];
  let hexOk = bytes[b] === 0x3c && bytes[c - 1] === 0x3e && (c - b) % 2 === 0;
  for (let i = b + 1; hexOk && i < c - 1; i++) if (!isHexDigit(bytes[i])) hexOk = false;
  if (!inside || !hexOk || !(contents instanceof PdfString) || !contents.hex || contents.bytes.length * 2 !== c - b - 2) {
    sig.checks.push(
      fail(
        'CONTENTS_GAP',
        'FORMAT_FAILURE',
        'Khoảng trống giữa hai đoạn được ký không đúng là giá trị /Contents của chữ ký này (dấu hiệu tấn công bọc chữ ký)',
        'The gap between the signed ranges is not exactly this signature\'s /Contents hex string (signature wrapping)',
      ),
    );
    return;
  }
  // Decode from the gap itself (not the parsed dictionary) and require zero padding after the DER.
  const der = Buffer.from(Buffer.from(bytes.buffer, bytes.byteOffset + b + 1, c - b - 2).toString('latin1'), 'hex');
  if (!der.equals(Buffer.from(contents.bytes))) {
    sig.checks.push(fail('CONTENTS_GAP', 'FORMAT_FAILURE', 'Giá trị /Contents không khớp với khoảng trống', '/Contents does not match the gap'));
    return;
  }
  // Definite length (DER, kyso and most signers): read it from the header. Indefinite-length BER (NSS, so
  // pdfsig and Firefox-family signers) needs a real parse to find the end-of-contents.
  let end = der[0] === 0x30 ? derElementLength(der) : -1;
  if (end < 0 && der[0] === 0x30 && der[1] === 0x80) {
    const parsed = asn1js.fromBER(bufferSource(der));
    end = parsed.offset > 0 ? parsed.offset : -1;
  }
  if (end < 0) {
    sig.checks.push(fail('CONTENTS_GAP', 'FORMAT_FAILURE', '/Contents không chứa dữ liệu chữ ký (CMS) hợp lệ', '/Contents holds no valid CMS data'));
    return;
  }
  for (let i = end; i < der.length; i++) {
    if (der[i] !== 0) {
      sig.checks.push(fail('CONTENTS_GAP', 'FORMAT_FAILURE', 'Có dữ liệu lạ sau chữ ký trong /Contents', 'Unexpected data after the CMS inside /Contents'));
      return;
    }
  }
  sig.cms = der.subarray(0, end);
  sig.checks.push(pass('CONTENTS_GAP', 'Khoảng trống đúng bằng /Contents của chữ ký', 'The gap is exactly this signature\'s /Contents'));
}

/** Finds every signature field with a value and runs the per-signature structure checks. */
export function locateSignatures(reader: PdfReader): PdfSignature[] {
  const out: PdfSignature[] = [];
  for (const f of listSignatureFields(reader)) {
    if (!f.signed) continue;
    const dict = reader.dict(f.value);
    if (!dict) continue;
    const subFilter = dict.name('SubFilter');
    const kind: SignatureKind = (subFilter ? KNOWN_SUBFILTERS[subFilter] : undefined) ?? (dict.name('Type') === 'DocTimeStamp' ? 'document-timestamp' : 'signature');
    const dictRef = f.value instanceof PdfRef ? f.value : undefined;
    const m = text(reader, dict, 'M');
    const sig: PdfSignature = {
      fieldName: f.name,
      kind,
      subFilter,
      dictRef,
      dict,
      byteRange: undefined,
      cms: undefined,
      claimedTime: m ? parsePdfDate(m) : undefined,
      reason: text(reader, dict, 'Reason'),
      location: text(reader, dict, 'Location'),
      certification: certificationOf(reader, dictRef),
      checks: [],
    };
    if (subFilter && KNOWN_SUBFILTERS[subFilter]) sig.checks.push(pass('SUB_FILTER', `Định dạng chữ ký ${subFilter}`, `SubFilter ${subFilter}`));
    else {
      sig.checks.push(
        fail('SUB_FILTER', 'FORMAT_FAILURE', `Định dạng chữ ký không được hỗ trợ hoặc đã lỗi thời: ${subFilter ?? '(không có)'}`, `Unsupported or deprecated SubFilter: ${subFilter ?? '(none)'}`),
      );
    }
    checkByteRange(reader, sig);
    out.push(sig);
  }
  checkCollisions(out);
  return out;
}

/** No signature's /Contents may lie inside another's gap or inside the signed ranges of an earlier one. */
function checkCollisions(sigs: PdfSignature[]): void {
  for (const s of sigs) {
    if (!s.byteRange) continue;
    const [, b, c] = s.byteRange;
    const clash = sigs.find((o) => {
      if (o === s || !o.byteRange) return false;
      const [, ob, oc, od] = o.byteRange;
      const gapsOverlap = b < oc && ob < c;
      // A signature that covers fewer bytes is older; its signed ranges must not contain a newer gap.
      const newerGapInOlderRanges = oc + od < s.byteRange![2] + s.byteRange![3] && b < oc + od && !(b >= ob && c <= oc);
      return gapsOverlap || newerGapInOlderRanges;
    });
    s.checks.push(
      clash
        ? fail('BYTE_RANGE_COLLISION', 'FORMAT_FAILURE', `Vùng ký chồng lấn với chữ ký ${clash.fieldName}`, `Byte ranges collide with signature ${clash.fieldName}`)
        : pass('BYTE_RANGE_COLLISION', 'Không chồng lấn với chữ ký khác', 'No collision with other signatures'),
    );
  }
}
