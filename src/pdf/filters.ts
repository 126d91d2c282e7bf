// Stream decoding (ISO 32000-1 §7.4) for the filters the reader needs: object and xref streams are Flate
// (optionally with PNG predictors); ASCIIHex/ASCII85 show up in hand-made files. Output size is capped so a
// deflate bomb cannot exhaust memory.
import { inflateSync, constants } from 'node:zlib';
import { KysoError } from '../errors.ts';
import { PdfDict, PdfName, PdfObject, PdfStream } from './objects.ts';

// Object and xref streams of real documents are a few MiB at most; this bounds what a deflate bomb can take.
export const MAX_DECODED_STREAM = 64 * 1024 * 1024;

function unsupported(name: string): KysoError {
  return new KysoError('PDF_UNSUPPORTED', `Bộ lọc luồng PDF không được hỗ trợ: ${name}`, `Unsupported PDF stream filter: ${name}`);
}

export function decodeStream(stream: PdfStream, maxOutput = MAX_DECODED_STREAM): Uint8Array {
  const f = stream.dict.get('Filter');
  const p = stream.dict.get('DecodeParms');
  const filters: PdfObject[] = Array.isArray(f) ? f : f == null ? [] : [f];
  const params: PdfObject[] = Array.isArray(p) ? p : [p ?? null];
  let data = stream.data;
  filters.forEach((filter, i) => {
    if (!(filter instanceof PdfName)) throw unsupported(String(filter));
    const parm = params[i] instanceof PdfDict ? (params[i] as PdfDict) : undefined;
    switch (filter.name) {
      case 'FlateDecode':
      case 'Fl':
        data = applyPredictor(inflate(data, maxOutput), parm);
        break;
      case 'ASCIIHexDecode':
      case 'AHx':
        data = asciiHex(data);
        break;
      case 'ASCII85Decode':
      case 'A85':
        data = ascii85(data);
        break;
      default:
        throw unsupported(filter.name);
    }
  });
  return data;
}

function inflate(data: Uint8Array, maxOutput: number): Uint8Array {
  try {
    return inflateSync(data, { maxOutputLength: maxOutput });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new KysoError('PDF_MALFORMED', 'Luồng nén trong PDF vượt quá giới hạn giải nén', 'Compressed PDF stream exceeds the decompression limit');
    }
    // Many producers write streams without a proper end; take what inflates.
    try {
      return inflateSync(data, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: maxOutput });
    } catch (e2) {
      throw new KysoError('PDF_MALFORMED', 'Không giải nén được luồng dữ liệu PDF', 'Cannot inflate a PDF stream', { cause: e2 });
    }
  }
}

function applyPredictor(data: Uint8Array, parm: PdfDict | undefined): Uint8Array {
  const predictor = (parm?.get('Predictor') as number | undefined) ?? 1;
  if (predictor < 10) {
    if (predictor === 1) return data;
    throw unsupported(`Predictor ${predictor}`);
  }
  const colors = (parm?.get('Colors') as number | undefined) ?? 1;
  const bpc = (parm?.get('BitsPerComponent') as number | undefined) ?? 8;
  const columns = (parm?.get('Columns') as number | undefined) ?? 1;
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8));
  const rowLen = Math.ceil((colors * bpc * columns) / 8);
  const rows = Math.floor(data.length / (rowLen + 1));
  const out = new Uint8Array(rows * rowLen);
  let prev = new Uint8Array(rowLen);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLen + 1)];
    const row = data.subarray(r * (rowLen + 1) + 1, (r + 1) * (rowLen + 1));
    const cur = out.subarray(r * rowLen, (r + 1) * rowLen);
    for (let i = 0; i < rowLen; i++) {
      const left = i >= bpp ? cur[i - bpp] : 0;
      const up = prev[i];
      const ul = i >= bpp ? prev[i - bpp] : 0;
      let v = row[i];
      switch (type) {
        case 0: break;
        case 1: v += left; break;
        case 2: v += up; break;
        case 3: v += (left + up) >> 1; break;
        case 4: {
          const pa = Math.abs(up - ul), pb = Math.abs(left - ul), pc = Math.abs(left + up - 2 * ul);
          v += pa <= pb && pa <= pc ? left : pb <= pc ? up : ul;
          break;
        }
        default: throw unsupported(`PNG predictor row type ${type}`);
      }
      cur[i] = v & 0xff;
    }
    prev = cur;
  }
  return out;
}

function asciiHex(data: Uint8Array): Uint8Array {
  const s = Buffer.from(data).toString('latin1').replace(/[\s]/g, '');
  const end = s.indexOf('>');
  const hex = end >= 0 ? s.slice(0, end) : s;
  return Buffer.from(hex.length % 2 ? hex + '0' : hex, 'hex');
}

function ascii85(data: Uint8Array): Uint8Array {
  const s = Buffer.from(data).toString('latin1').replace(/\s/g, '').replace(/^<~/, '');
  const end = s.indexOf('~>');
  const body = end >= 0 ? s.slice(0, end) : s;
  const out: number[] = [];
  let group: number[] = [];
  for (const ch of body) {
    if (ch === 'z' && group.length === 0) {
      out.push(0, 0, 0, 0);
      continue;
    }
    group.push(ch.charCodeAt(0) - 33);
    if (group.length === 5) {
      let v = 0;
      for (const g of group) v = v * 85 + g;
      out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
      group = [];
    }
  }
  if (group.length) {
    const n = group.length;
    while (group.length < 5) group.push(84);
    let v = 0;
    for (const g of group) v = v * 85 + g;
    const bytes = [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    out.push(...bytes.slice(0, n - 1));
  }
  return Uint8Array.from(out);
}
