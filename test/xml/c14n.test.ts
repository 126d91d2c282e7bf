// Canonicalization proven against xmlsec1 (libxml2's canonicalizer): each input gets an XMLDSig template whose
// References apply the transforms under test to the whole document and to a subtree; xmlsec1 --sign fills in
// the DigestValues, and kyso's canonical form of the same node-set must hash to exactly the same value. On a
// mismatch the test prints xmlsec1's pre-digest buffer beside kyso's output.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Document, Element } from '@xmldom/xmldom';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { C14N, canonicalize, canonicalizeTo, type C14nMethod } from '../../src/xml/c14n.ts';
import { parseXmlSafely } from '../../src/xml/safe-parser.ts';
import { digestValues, preDigests, tempDir, writeTemp, xmlsec1 } from './xmlsec.ts';

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

interface Ref {
  uri: string;
  transforms: string[];
  prefixList?: string;
}

function transformXml(alg: string, prefixList?: string): string {
  if (prefixList !== undefined && alg.startsWith(C14N.exclusive)) {
    return `<Transform Algorithm="${alg}"><ec:InclusiveNamespaces xmlns:ec="${C14N.exclusive}" PrefixList="${prefixList}"/></Transform>`;
  }
  return `<Transform Algorithm="${alg}"/>`;
}

function template(refs: Ref[]): string {
  const r = refs
    .map(
      (ref) =>
        `<Reference URI="${ref.uri.replace(/'/g, '&apos;')}"><Transforms>${ref.transforms.map((t) => transformXml(t, ref.prefixList)).join('')}</Transforms>` +
        `<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue></DigestValue></Reference>`,
    )
    .join('');
  return (
    `<Signature xmlns="${DSIG}"><SignedInfo><CanonicalizationMethod Algorithm="${C14N.exclusive}"/>` +
    `<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>${r}</SignedInfo>` +
    `<SignatureValue></SignatureValue></Signature>`
  );
}

const METHODS: C14nMethod[] = [C14N.exclusive, C14N.exclusiveWithComments, C14N.c14n10, C14N.c14n10WithComments, C14N.c14n11, C14N.c14n11WithComments];

/** Every method over the whole document (URI="" and xpointer(/)), the #target subtree and xpointer(id()). */
function refsFor(hasTarget: boolean, prefixLists: string[] = []): Ref[] {
  const refs: Ref[] = [];
  for (const m of METHODS) {
    refs.push({ uri: '', transforms: [ENVELOPED, m] });
    refs.push({ uri: '#xpointer(/)', transforms: [ENVELOPED, m] });
    if (hasTarget) {
      refs.push({ uri: '#target', transforms: [m] });
      refs.push({ uri: "#xpointer(id('target'))", transforms: [m] });
    }
  }
  for (const pl of prefixLists) {
    refs.push({ uri: '', transforms: [ENVELOPED, C14N.exclusive], prefixList: pl });
    if (hasTarget) refs.push({ uri: '#target', transforms: [C14N.exclusive], prefixList: pl });
  }
  return refs;
}

function findById(doc: Document, id: string): Element {
  const all = doc.getElementsByTagNameNS('*', '*');
  for (let i = 0; i < all.length; i++) if (all.item(i)!.getAttribute('Id') === id) return all.item(i)!;
  throw new Error(`no element with Id ${id}`);
}

/** kyso's canonical form for one Reference of the template (same rules as XMLDSig dereferencing). */
function kysoCanonical(doc: Document, sig: Element, ref: Ref): string {
  const method = ref.transforms.at(-1) as C14nMethod;
  const enveloped = ref.transforms.includes(ENVELOPED);
  const xpointer = ref.uri.startsWith('#xpointer(');
  const node = ref.uri === '' || ref.uri === '#xpointer(/)' ? doc : findById(doc, 'target');
  return canonicalize(node, {
    method,
    comments: xpointer && method.endsWith('#WithComments'),
    exclude: enveloped ? sig : null,
    ...(ref.prefixList !== undefined ? { inclusivePrefixes: ref.prefixList.split(/\s+/).filter(Boolean) } : {}),
  });
}

/** Inserts the template as the last child of the document element. */
function withTemplate(xml: string, refs: Ref[]): string {
  const i = xml.lastIndexOf('</');
  return xml.slice(0, i) + template(refs) + xml.slice(i);
}

let dir: string;
const key = testPki.identity('person-vpcp');

/** xmlsec1's --id-attr node name for the element carrying Id="target": "<namespace>:<local>" or "<local>". */
function targetNode(xml: string): string | undefined {
  const doc = parseXmlSafely(xml);
  const all = doc.getElementsByTagNameNS('*', '*');
  for (let i = 0; i < all.length; i++) {
    const e = all.item(i)!;
    if (e.getAttribute('Id') === 'target') return e.namespaceURI ? `${e.namespaceURI}:${e.localName}` : e.localName!;
  }
  return undefined;
}

async function compare(xml: string, prefixLists: string[] = []): Promise<void> {
  const target = targetNode(xml);
  const refs = refsFor(target !== undefined, prefixLists);
  const input = withTemplate(xml, refs);
  const file = writeTemp(dir, `in-${Math.random().toString(36).slice(2)}.xml`, input);
  const out = `${file}.signed`;
  const args = ['--sign', '--privkey-pem', `${key.key},${key.cert}`, '--store-references', '--print-debug', '--output', out];
  if (target) args.push('--id-attr:Id', target);
  const r = await xmlsec1([...args, file]);
  expect(r.code, r.stderr + r.stdout.slice(0, 2000)).toBe(0);
  const expected = digestValues(readFileSync(out, 'utf8'));
  const pre = preDigests(r.stdout);
  expect(expected).toHaveLength(refs.length);
  const doc = parseXmlSafely(input);
  const sig = doc.getElementsByTagNameNS(DSIG, 'Signature').item(0)!;
  refs.forEach((ref, i) => {
    const mine = kysoCanonical(doc, sig, ref);
    const digest = createHash('sha256').update(mine, 'utf8').digest('base64');
    const label = `URI="${ref.uri}" ${ref.transforms.map((t) => t.replace(/^.*[/#]/, '')).join(' + ')}${ref.prefixList !== undefined ? ` PrefixList="${ref.prefixList}"` : ''}`;
    expect({ label, canonical: mine }).toEqual({ label, canonical: digest === expected[i] ? mine : (pre[i] ?? '(no pre-digest)') });
    expect(digest, label).toBe(expected[i]);
  });
}

beforeAll(() => {
  dir = tempDir();
});

describe('canonicalization equals xmlsec1 (libxml2) byte for byte', () => {
  it('namespaces at several levels, default namespace, attribute order, escaping, Vietnamese, comments, PIs', async () => {
    await compare(
      `<?xml version="1.0" encoding="UTF-8"?>
<!-- trước gốc -->
<?app-instruction mode="x"?>
<a:root xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:unused" b:attr="1" z="2" xmlns="urn:def" a:z="3" A="0">
  <child xml:lang="vi"  c="&amp;&lt;&gt;&quot;&#13;&#9;&#10;'" b="x	y
z">Tiếng Việt có dấu: Nguyễn Văn An &amp; &lt; &gt; " ' &#13; tab&#9;here<!-- chú thích --><?pi   data  ?><?empty?></child>
  <b:x><b:target Id="target" xmlns:c="urn:c" c:k="v" b:k="w"><y/><z xmlns=""><w a="1"/></z><b:q xmlns:b="urn:b">same</b:q><b:q xmlns:b="urn:other">other</b:q></b:target></b:x>
  <![CDATA[ <cdata> & ]]> text ]]&gt; after
</a:root>
<!-- sau gốc -->
<?trailing pi?>
`,
      ['a', 'b c', '#default', '#default unused a'],
    );
  });

  it('subset apex inheriting the default namespace, xml:lang and xml:space from ancestors', async () => {
    await compare(
      `<root xmlns="urn:d" xmlns:p="urn:p" xml:lang="vi" xml:space="preserve" xml:id="rootid"><mid xml:lang="en"><target Id="target" p:a="1"><leaf>x</leaf><p:leaf/></target></mid></root>`,
      ['p', '#default'],
    );
  });

  it('an unprefixed, namespace-less apex under a default namespace (xmlns="" handling)', async () => {
    await compare(`<root xmlns="urn:d"><outer xmlns=""><target Id="target"><in xmlns="urn:e"><deep xmlns=""/></in></target></outer></root>`, ['#default']);
  });

  it('attribute sorting by namespace URI (not prefix), then local name', async () => {
    await compare(
      `<r xmlns:z="urn:a" xmlns:a="urn:z" xmlns:m="http://example.com/m"><target Id="target" z:b="1" a:a="2" z:a="3" m:c="4" b="5" a="6" _x="7" aa="8"/></r>`,
    );
  });

  it('characters outside the BMP, combining marks kept as written (NFD), CRLF and CR line ends', async () => {
    await compare(
      `<r>\r\n<target Id="target" e="😀 &#x1F600;">Tie\u0302\u0301ng Vie\u0323\u0302t 😀\r\nline\rend &#xD;&#xA;</target>\r\n<s>𝌆</s></r>`,
    );
  });

  it('a whole edXML envelope', async () => {
    const xml = readFileSync(new URL('../fixtures/xml/edxml-sample.xml', import.meta.url), 'utf8');
    await compare(xml.replace('<edXML:edXMLHeader>', '<edXML:edXMLHeader Id="target">'), ['edXML', '#default']);
  });

  it('canonicalizeTo writes the same text in chunks', () => {
    const doc = parseXmlSafely(readFileSync(new URL('../fixtures/xml/edxml-sample.xml', import.meta.url), 'utf8'));
    for (const method of METHODS) {
      const chunks: string[] = [];
      canonicalizeTo(doc, { method }, (c) => chunks.push(c), 100);
      expect(chunks.length).toBeGreaterThan(10);
      expect(chunks.join('')).toBe(canonicalize(doc, { method }));
    }
  });

  it('random documents (fast-check, fixed seed)', async () => {
    const docs = fc.sample(randomDocument(), { numRuns: 25, seed: 0x6b79736f });
    for (const d of docs) await compare(d, ['p0', '#default p1']);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------------------------
// Random documents: prefixes bound to varying URIs at varying depths, default namespace on and off,
// namespaced and plain attributes, text with every escaped character, comments and PIs; one element has Id="target".

const URIS = ['urn:a', 'urn:b', 'http://example.com/ns', 'urn:vi:tieng'];
const textArb = fc.string({ unit: fc.constantFrom('a', ' ', '&', '<', '>', '"', "'", '\t', '\n', '\r', 'ệ', '😀', ']]>'), maxLength: 8 });
const esc = (s: string, attr: boolean): string => {
  const t = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\r/g, '&#13;');
  return attr ? t.replace(/[\t\n]/g, (c) => `&#${c.charCodeAt(0)};`) : t;
};

interface Gen {
  decls: { prefix: string; uri: string }[];
  prefix: string;
  attrs: { prefix: string; name: string; value: string }[];
  text: string;
  extra: 'none' | 'comment' | 'pi';
}

const nodeArb: fc.Arbitrary<Gen> = fc.record({
  decls: fc.array(fc.record({ prefix: fc.constantFrom('', 'p0', 'p1', 'p2'), uri: fc.constantFrom('', ...URIS) }), { maxLength: 2 }),
  prefix: fc.constantFrom('', 'p0', 'p1', 'p2'),
  attrs: fc.array(fc.record({ prefix: fc.constantFrom('', '', 'p0', 'p1', 'xml'), name: fc.constantFrom('a', 'b', 'Z', 'lang'), value: textArb }), { maxLength: 3 }),
  text: textArb,
  extra: fc.constantFrom('none', 'comment', 'pi'),
});

function randomDocument(): fc.Arbitrary<string> {
  return fc.tuple(fc.array(nodeArb, { minLength: 3, maxLength: 9 }), fc.nat()).map(([nodes, seed]) => {
    // A chain with branches: node i's parent is some earlier node; the target is one of the middle ones.
    const targetIndex = 1 + (seed % Math.max(1, nodes.length - 2));
    const children: number[][] = nodes.map(() => []);
    nodes.forEach((_, i) => {
      if (i > 0) children[(seed >> i) % i === 0 ? i - 1 : (seed + i) % i]!.push(i);
    });
    const render = (i: number, scope: Map<string, string>): string => {
      const n = nodes[i]!;
      const local = new Map(scope);
      const declared = new Map<string, string>();
      for (const d of n.decls) {
        if (d.prefix !== '' && d.uri === '') continue; // xmlns:p="" is not XML 1.0
        declared.set(d.prefix, d.uri);
      }
      // Every prefix used must be bound.
      const need = [n.prefix, ...n.attrs.map((a) => a.prefix)].filter((p) => p && p !== 'xml');
      for (const p of need) if (!local.has(p) && !declared.has(p)) declared.set(p, URIS[(seed + p.length) % URIS.length]!);
      for (const [p, u] of declared) local.set(p, u);
      const seen = new Set<string>();
      let attrs = '';
      for (const a of n.attrs) {
        const prefixUri = a.prefix === 'xml' ? 'xml' : a.prefix ? local.get(a.prefix)! : '';
        const key = `${prefixUri}|${a.name}`;
        if (seen.has(key) || (a.prefix === 'xml' && a.name !== 'lang')) continue;
        seen.add(key);
        attrs += ` ${a.prefix ? `${a.prefix}:` : ''}${a.name}="${esc(a.value, true)}"`;
      }
      for (const [p, u] of declared) attrs += p ? ` xmlns:${p}="${u}"` : ` xmlns="${u}"`;
      if (i === targetIndex) attrs += ' Id="target"';
      const name = `${n.prefix ? `${n.prefix}:` : ''}${i === targetIndex ? 'target' : `e${i}`}`;
      const extra = n.extra === 'comment' ? `<!--${n.text.replace(/-/g, '')}c-->` : n.extra === 'pi' ? `<?pi${i} ${n.text.replace(/\?>/g, '')}?>` : '';
      return `<${name}${attrs}>${esc(n.text, false)}${extra}${children[i]!.map((c) => render(c, local)).join('')}</${name}>`;
    };
    return render(0, new Map());
  });
}
