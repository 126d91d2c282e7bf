// PDF date strings (ISO 32000-1 §7.9.4): D:YYYYMMDDHHmmSSOHH'mm'.

/** Formats in Vietnam time, e.g. D:20260312101530+07'00' (Asia/Ho_Chi_Minh has had a fixed +07:00 since 1975). */
export function formatPdfDate(d: Date): string {
  const v = new Date(d.getTime() + 7 * 3600_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `D:${p(v.getUTCFullYear(), 4)}${p(v.getUTCMonth() + 1)}${p(v.getUTCDate())}${p(v.getUTCHours())}${p(v.getUTCMinutes())}${p(v.getUTCSeconds())}+07'00'`;
}

/** Parses a PDF date; missing parts default as the spec says (month/day 01, time 00, offset UT). */
export function parsePdfDate(s: string): Date | undefined {
  const m = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz+-])(?:(\d{2})'?(\d{2})?'?)?)?/.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', se = '00', sign, oh = '00', om = '00'] = m;
  const utc = Date.UTC(+y, +mo - 1, +d, +h, +mi, +se);
  if (Number.isNaN(utc)) return undefined;
  const offset = sign === '+' || sign === '-' ? (sign === '-' ? -1 : 1) * (+oh * 60 + +om) : 0;
  return new Date(utc - offset * 60_000);
}
