// Result value parsing shared by both backends, so the same SQL yields the same JavaScript values:
//   int8 (bigint, bigserial, count(*))  → number (refused above 2^53 rather than silently rounded)
//   numeric                             → string (exact decimal)
//   timestamptz                         → Date (both backends' default)
//   bytea                               → Uint8Array (pg gives a Buffer, which is one)
//   json/jsonb                          → parsed value (both backends' default)
// Without this, pg returns int8 as a string and PGlite as a (possibly rounded) number.

export const PG_TYPE = { INT8: 20, NUMERIC: 1700 } as const;

export function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} exceeds the safe integer range`);
  return n;
}

export const parseNumeric = (text: string): string => text;

/** Parsers by type OID, for the types whose default differs between pg and PGlite. */
export const VALUE_PARSERS: Readonly<Record<number, (text: string) => unknown>> = {
  [PG_TYPE.INT8]: parseInt8,
  [PG_TYPE.NUMERIC]: parseNumeric,
};
