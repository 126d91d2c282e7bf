// Canonical JSON: the same value gives the same bytes whatever the key order; only JSON is accepted.
import { describe, expect, it } from 'vitest';
import { canonicalJson, checkJsonObject } from '../../src/exchange/audit/canonical-json.ts';

describe('canonical JSON', () => {
  it('sorts keys recursively and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: true }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('orders keys by UTF-16 code units and writes numbers as ECMAScript does (RFC 8785)', () => {
    // RFC 8785 §3.2.3 sample keys: "\u20ac" (€) sorts before "\ud83d\ude00" (😀) by code units, after "\u00f6".
    expect(canonicalJson({ '😀': 1, '€': 2, 'ö': 3, '1': 4, a: 5 })).toBe('{"1":4,"a":5,"ö":3,"€":2,"😀":1}');
    expect(canonicalJson([1e21, 1e-7, 0.1 + 0.2, -0, 100])).toBe('[1e+21,1e-7,0.30000000000000004,0,100]');
    expect(canonicalJson({ s: 'Văn phòng "Chính phủ"\n' })).toBe('{"s":"Văn phòng \\"Chính phủ\\"\\n"}');
  });

  it('leaves out undefined members like JSON.stringify, and refuses what is not JSON', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    for (const bad of [NaN, Infinity, undefined, new Date(0), new Map(), () => 1, 1n]) expect(() => canonicalJson({ v: [bad] })).toThrow(TypeError);
    expect(() => checkJsonObject([1])).toThrow(TypeError);
    expect(() => checkJsonObject('x')).toThrow(TypeError);
    expect(checkJsonObject({ ok: [1, 'a'] })).toEqual({ ok: [1, 'a'] });
  });
});
