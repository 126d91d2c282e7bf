// WOFF 1.0 → plain sfnt (TrueType) conversion (W3C WOFF File Format 1.0, §3–5).
//
// Why: fontkit can read WOFF directly, but it re-inflates a table (with a pure-JS inflater) every time it
// opens it, and its subsetter opens 'glyf' once per glyph: ~40 ms per stamp. Unpacking the tables once with
// node:zlib at load time makes fontkit work on an ordinary TrueType buffer and a stamp builds in ~1 ms.
import { inflateSync } from 'node:zlib';

const WOFF_SIGNATURE = 0x774f4646; // 'wOFF'

/** True if `buf` starts with the WOFF 1.0 signature. */
export function isWoff(buf: Uint8Array): boolean {
  return buf.length >= 4 && Buffer.from(buf.buffer, buf.byteOffset, 4).readUInt32BE(0) === WOFF_SIGNATURE;
}

/** Unpacks a WOFF 1.0 file into the equivalent sfnt bytes (tables in the original order, 4-byte aligned). */
export function woffToSfnt(woff: Uint8Array): Buffer {
  const b = Buffer.from(woff.buffer, woff.byteOffset, woff.byteLength);
  if (!isWoff(b) || b.length < 44) throw new Error('not a WOFF 1.0 file');
  const flavor = b.readUInt32BE(4);
  const numTables = b.readUInt16BE(12);
  const tables: { tag: number; checksum: number; data: Buffer }[] = [];
  for (let i = 0; i < numTables; i++) {
    const e = 44 + i * 20;
    const tag = b.readUInt32BE(e);
    const offset = b.readUInt32BE(e + 4);
    const compLength = b.readUInt32BE(e + 8);
    const origLength = b.readUInt32BE(e + 12);
    const checksum = b.readUInt32BE(e + 16);
    if (offset + compLength > b.length) throw new Error('WOFF table outside the file');
    const raw = b.subarray(offset, offset + compLength);
    const data = compLength < origLength ? inflateSync(raw) : Buffer.from(raw);
    if (data.length !== origLength) throw new Error('WOFF table has the wrong length after inflating');
    tables.push({ tag, checksum, data });
  }
  // sfnt offset table: searchRange etc. as the OpenType spec defines them.
  let entrySelector = 0;
  while (1 << (entrySelector + 1) <= numTables) entrySelector++;
  const searchRange = (1 << entrySelector) * 16;
  const headerLen = 12 + 16 * numTables;
  const total = tables.reduce((n, t) => n + ((t.data.length + 3) & ~3), headerLen);
  const out = Buffer.alloc(total);
  out.writeUInt32BE(flavor, 0);
  out.writeUInt16BE(numTables, 4);
  out.writeUInt16BE(searchRange, 6);
  out.writeUInt16BE(entrySelector, 8);
  out.writeUInt16BE(numTables * 16 - searchRange, 10);
  let at = headerLen;
  tables.forEach((t, i) => {
    const e = 12 + i * 16;
    out.writeUInt32BE(t.tag, e);
    out.writeUInt32BE(t.checksum, e + 4);
    out.writeUInt32BE(at, e + 8);
    out.writeUInt32BE(t.data.length, e + 12);
    t.data.copy(out, at);
    at += (t.data.length + 3) & ~3;
  });
  return out;
}
