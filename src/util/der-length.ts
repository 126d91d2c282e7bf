// Length of the DER element at the start of a buffer, read from its tag and length octets only. Used to find
// where a CMS ends inside a zero-padded PDF /Contents without parsing the whole structure (a full parse
// costs milliseconds; the CMS is parsed properly later anyway).

/** Total encoded length (header + content), or -1 if the header is not a valid definite-length DER header. */
export function derElementLength(b: Uint8Array): number {
  if (b.length < 2) return -1;
  let i = 1;
  if ((b[0] & 0x1f) === 0x1f) {
    // High tag number form: continuation bytes have the top bit set.
    while (i < b.length && b[i] & 0x80) i++;
    i++;
  }
  if (i >= b.length) return -1;
  const first = b[i++];
  if (first < 0x80) return i + first <= b.length ? i + first : -1;
  const n = first & 0x7f;
  if (n === 0 || n > 4 || i + n > b.length) return -1; // indefinite length is not DER; > 4 GiB is absurd here
  let len = 0;
  for (let k = 0; k < n; k++) len = len * 256 + b[i + k];
  const total = i + n + len;
  return total <= b.length ? total : -1;
}
