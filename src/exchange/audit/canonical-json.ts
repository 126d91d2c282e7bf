// Canonical JSON for hashing (the JSON Canonicalization Scheme, RFC 8785, for the values kyso produces):
// object keys sorted by UTF-16 code units, no whitespace, strings and numbers as ECMAScript's JSON.stringify
// writes them (shortest round-trip numbers). The same value always gives the same bytes, whatever the key
// order in memory or in PostgreSQL's jsonb — which is what lets a stored entry be re-hashed later.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    const o = value as Record<string, unknown>;
    // Members whose value is undefined are left out, as JSON.stringify (and so the stored jsonb) leaves them out.
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort(); // UTF-16 code unit order, RFC 8785 §3.2.3
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON: unsupported value of type ${value === undefined ? 'undefined' : typeof value}`);
}

/** A plain JSON object, or a TypeError naming what is not (undefined, Date, Map, class instances, NaN…). */
export function checkJsonObject(value: unknown): JsonObject {
  if (!isPlainObject(value)) {
    throw new TypeError('details must be a plain JSON object');
  }
  canonicalJson(value); // throws on anything that is not JSON
  return value as JsonObject;
}
