// Vietnam wall-clock formatting (src/util/vn-time.ts): the last second formatted is remembered, which must
// never show one instant with another's time.
import { describe, expect, it } from 'vitest';
import { formatSigningTime, isoVn } from '../../src/util/vn-time.ts';

describe('Vietnam wall clock', () => {
  it('formats consecutive instants across a second, a day and a year boundary, each with +07:00', () => {
    const cases: [string, string][] = [
      ['2026-12-31T16:59:59.000Z', '2026-12-31T23:59:59+07:00'],
      ['2026-12-31T16:59:59.999Z', '2026-12-31T23:59:59+07:00'],
      ['2026-12-31T17:00:00.000Z', '2027-01-01T00:00:00+07:00'],
      ['2026-12-31T16:59:59.500Z', '2026-12-31T23:59:59+07:00'],
      ['2027-01-01T00:00:00.000Z', '2027-01-01T07:00:00+07:00'],
    ];
    for (const [utc, vn] of cases) expect(isoVn(new Date(utc))).toBe(vn);
    expect(formatSigningTime(new Date('2027-01-01T00:00:00.000Z'))).toBe('01.01.2027 07:00:00 +07:00');
    // Another zone in between does not disturb the remembered Vietnam second.
    expect(formatSigningTime(new Date('2027-01-01T00:00:00.000Z'), 'yyyy-MM-dd HH:mm XXX', 'UTC')).toBe('2027-01-01 00:00 +00:00');
    expect(isoVn(new Date('2027-01-01T00:00:00.000Z'))).toBe('2027-01-01T07:00:00+07:00');
  });
});
