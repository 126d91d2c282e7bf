// Difference analysis (signature-security.md §4) on real files: every sample signed three times (signer image,
// seal, text stamp) must show only signature-field changes after each signature; every incremental-update
// attack from test/helpers/attacks.ts must be DISALLOWED with the offending object named; form filling,
// /DSS and document timestamps against approval and DocMDP certification signatures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { N, PdfDict, PdfRef, PdfStream, PdfString } from '../../src/pdf/objects.ts';
import { PdfReader } from '../../src/pdf/reader.ts';
import { IncrementalUpdate } from '../../src/signing/pdf/incremental-writer.ts';
import { prepareSignature } from '../../src/signing/pdf/pades.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import type { Change } from '../../src/verify/report.ts';
import { ModificationAnalyzer, analyzeModifications } from '../../src/verify/pdf/diff-analysis.ts';
import { inspectRevisions, listRevisions, readerAtRevision, revisionEndingAt } from '../../src/verify/pdf/revisions.ts';
import * as attacks from '../helpers/attacks.ts';
import { extractSignatures } from '../helpers/pdf-signatures.ts';
import { IMAGES, signerOf } from '../helpers/signing.ts';
import { sample, samples } from '../fixtures/pdf/index.ts';

const person = () => signerOf('person-vpcp');
const seal = () => signerOf('vpcp-seal');
const image = (name: string) => readFileSync(join(IMAGES, name));

async function signOnce(pdf: Buffer, kind: 'signer' | 'seal' | 'stamp' = 'signer'): Promise<Buffer> {
  const appearance =
    kind === 'stamp'
      ? { kind, numberSymbol: '125/VPCP-KSTT' } as const
      : { kind, image: image(kind === 'signer' ? 'signature-blue.png' : 'seal-red.png') };
  return (await signDocument(pdf, { signer: kind === 'signer' ? person() : seal(), revocationCheck: 'off', appearance })).bytes;
}

/** Where each signature's signed bytes end (ByteRange c + d), in file order. */
const signedEnds = (pdf: Buffer): number[] => extractSignatures(pdf).map((s) => s.byteRange[2] + s.byteRange[3]);

const disallowed = (changes: Change[]): Change[] => changes.filter((c) => c.verdict === 'DISALLOWED');

/** Asserts DISALLOWED with a disallowed change on `object` whose rule starts with `rule`. */
function expectDisallowed(pdf: Buffer, signedEnd: number, object: string, rule: string, opts = {}): void {
  const r = analyzeModifications(pdf, signedEnd, opts);
  expect(r.level, JSON.stringify(r.changes, null, 1)).toBe('DISALLOWED');
  const hit = disallowed(r.changes).find((c) => c.object === object && c.rule.startsWith(rule));
  expect(hit, `expected ${object} ${rule} in ${JSON.stringify(disallowed(r.changes), null, 1)}`).toBeDefined();
}

describe('revisions', () => {
  it.each(samples.map((s) => [s.id, s] as const))('%s is one revision ending at the end of the file', (_id, s) => {
    const bytes = readFileSync(s.file);
    const info = inspectRevisions(bytes);
    expect(info.revisions).toHaveLength(1);
    expect(info.revisions[0].end).toBe(bytes.length);
    expect(info.revisions[0].problems).toEqual([]);
    expect(info.trailing).toBeUndefined();
    expect(info.hybrid).toBe(s.xref === 'hybrid');
    expect(info.revisions[0].sections).toHaveLength(s.linearized ? 2 : 1);
  });

  it('lists one revision per signature, each ending where its signature\'s range ends', async () => {
    const one = await signOnce(readFileSync(sample('linearized').file));
    const two = await signOnce(one, 'seal');
    const revs = listRevisions(two);
    expect(revs.map((r) => r.number)).toEqual([1, 2, 3]);
    expect(revs.slice(1).map((r) => r.end)).toEqual(signedEnds(two));
    expect(revs[2].end).toBe(two.length);
    // The prefix up to a revision's end is that revision as a file of its own.
    const r2 = readerAtRevision(two, revs[1]);
    expect(r2.bytes.length).toBe(one.length);
    expect(r2.xref.startxref).toBe(revs[1].startxref);
    expect(revisionEndingAt(revs, revs[1].eofEnd)?.number).toBe(2);
  });

  it('reports bytes after the last %%EOF', async () => {
    const signed = await signOnce(readFileSync(sample('pdflib-table').file));
    const info = inspectRevisions(attacks.trailingGarbage(signed).bytes);
    expect(info.trailing).toMatchObject({ offset: signed.length, whitespaceOnly: false });
  });
});

describe.each(samples.map((s) => [s.id, s] as const))('three signatures on %s', (_id, s) => {
  let files: Buffer[];
  beforeAll(async () => {
    const one = await signOnce(readFileSync(s.file), 'signer');
    const two = await signOnce(one, 'seal');
    const three = await signOnce(two, 'stamp');
    files = [one, two, three];
  });

  it('the last signature sees no change', () => {
    const [, , three] = files;
    const ends = signedEnds(three);
    expect(ends).toHaveLength(3);
    expect(analyzeModifications(three, ends[2])).toEqual({ level: 'NONE', changes: [] });
  });

  it('earlier signatures see only the later signature fields, all allowed', () => {
    const three = files[2];
    const ends = signedEnds(three);
    const analyzer = new ModificationAnalyzer(three);
    for (const [k, end] of ends.slice(0, 2).entries()) {
      const r = analyzer.analyze(end);
      expect(r.level, JSON.stringify(disallowed(r.changes), null, 1)).toBe('ALLOWED');
      expect(disallowed(r.changes)).toEqual([]);
      // Every later revision shows up, and each adds its signature field, dictionary and appearance.
      const signedRevision = revisionEndingAt(analyzer.info.revisions, end)!.number;
      expect(signedRevision).toBe(k + 2);
      for (let rev = signedRevision + 1; rev <= 4; rev++) {
        const mine = r.changes.filter((c) => c.revision === rev);
        const rules = new Set(mine.map((c) => c.rule));
        expect(rules.has('SIGNATURE_FIELD'), `revision ${rev}: ${[...rules]}`).toBe(true);
        expect(rules.has('SIGNATURE_DICTIONARY')).toBe(true);
        expect(rules.has('SIGNATURE_APPEARANCE')).toBe(true);
        expect(mine.some((c) => c.what === `signature field "Signature${rev - 1}"`)).toBe(true);
      }
      const allowedRules = /^(SIGNATURE_FIELD|SIGNATURE_DICTIONARY|SIGNATURE_APPEARANCE|SIGNATURE_APPEARANCE_RESOURCE|PAGE_ANNOTS|ANNOTS_SIGNATURE_WIDGET_ADDED|FIELDS_SIGNATURE_FIELD_ADDED|CATALOG_ACROFORM|XREF_STREAM)$/;
      for (const c of r.changes) expect(c.rule).toMatch(allowedRules);
    }
  });

  it('a DocMDP P=1 certification before them would forbid the later signatures', () => {
    const three = files[2];
    const r = analyzeModifications(three, signedEnds(three)[0], { docMdp: 1 });
    expect(r.level).toBe('DISALLOWED');
    expect(disallowed(r.changes).some((c) => c.rule.startsWith('DOCMDP: SIGNATURE_FIELD is not permitted by DocMDP P=1'))).toBe(true);
  });
});

describe('incremental-update attacks', () => {
  // Two signatures, so the attack comes after a revision that itself changed things (the second signature).
  const bases = ['pdflib-table', 'pdflib-objstm', 'chromium-print', 'qpdf-objstm', 'hybrid', 'linearized'];
  const signed = new Map<string, Buffer>();
  beforeAll(async () => {
    for (const id of bases) signed.set(id, await signOnce(await signOnce(readFileSync(sample(id).file)), 'seal'));
  });
  const page1 = (pdf: Buffer): PdfRef => PdfReader.open(pdf).getPage(0).ref;

  describe.each(bases.map((id) => [id]))('on %s', (id) => {
    const file = () => signed.get(id)!;
    /** Every signature of the file must see the attack. */
    const forEverySignature = (pdf: Buffer, object: string, rule: string): void => {
      for (const end of signedEnds(file())) expectDisallowed(pdf, end, object, rule);
    };

    it('replacePageContent: page 1 and its new content stream', () => {
      const a = attacks.replacePageContent(file());
      forEverySignature(a.bytes, page1(file()).key, 'PAGE_CONTENT');
      const r = analyzeModifications(a.bytes, signedEnds(file())[1]);
      const stream = disallowed(r.changes).find((c) => c.what.startsWith('content stream of page 1'));
      expect(stream?.rule).toMatch(/^PAGE_CONTENT: a content stream of page 1 was added/);
    });

    it('addPage: the page tree node and the new page', () => {
      const a = attacks.addPage(file());
      const parent = (PdfReader.open(file()).getPage(0).dict.get('Parent') as PdfRef).key;
      forEverySignature(a.bytes, parent, 'PAGE_TREE');
      const r = analyzeModifications(a.bytes, signedEnds(file())[1]);
      expect(disallowed(r.changes).some((c) => c.rule.startsWith('NEW_PAGE'))).toBe(true);
    });

    it('redefineFont in place: the font object, though no page dictionary changed', () => {
      const reader = PdfReader.open(file());
      const page = reader.getPage(0).dict;
      const res = reader.dict(page.get('Resources')) ?? reader.dict(reader.dict(page.get('Parent'))?.get('Resources'));
      const font = [...reader.dict(res?.get('Font'))!.map.values()][0] as PdfRef;
      forEverySignature(attacks.redefineFont(file()).bytes, font.key, 'PAGE_RESOURCE');
    });

    it('redefineFont through a new object: the resources holder and the new font', () => {
      const a = attacks.redefineFont(file(), { newObject: true });
      const r = analyzeModifications(a.bytes, signedEnds(file())[1]);
      expect(r.level).toBe('DISALLOWED');
      expect(disallowed(r.changes).filter((c) => c.rule.startsWith('PAGE_RESOURCE')).length).toBeGreaterThanOrEqual(2);
    });

    it('replaceXObject: the rewritten stream', () => {
      const a = attacks.replaceXObject(file());
      const target = /\(object (\d+ \d+)\)/.exec(a.description)![1];
      for (const end of signedEnds(file())) {
        const r = analyzeModifications(a.bytes, end);
        expect(r.level).toBe('DISALLOWED');
        expect(disallowed(r.changes).map((c) => c.object)).toContain(target);
      }
    });

    it('addAnnotationOverPage: DISALLOWED for approval signatures and P=1/P=2, ALLOWED only at P=3', () => {
      const a = attacks.addAnnotationOverPage(file());
      const annot = /annotation (\d+ \d+)/.exec(a.description)![1];
      for (const end of signedEnds(file())) {
        expectDisallowed(a.bytes, end, annot, 'DOCMDP: ANNOTATION_ADDED');
        expectDisallowed(a.bytes, end, annot, 'DOCMDP: ANNOTATION_ADDED', { docMdp: 2 });
        const p3 = analyzeModifications(a.bytes, end, { docMdp: 3 });
        expect(p3.level).toBe('ALLOWED');
        expect(p3.changes.find((c) => c.object === annot)?.rule).toBe('ANNOTATION_ADDED');
      }
      const freeText = attacks.addAnnotationOverPage(file(), { subtype: 'FreeText' });
      expect(analyzeModifications(freeText.bytes, signedEnds(file())[1]).level).toBe('DISALLOWED');
    });

    it('trailingGarbage: trailing bytes', () => {
      forEverySignature(attacks.trailingGarbage(file()).bytes, 'trailing bytes', 'TRAILING_BYTES');
    });

    it('replaceRoot: the trailer and the new catalog', () => {
      const a = attacks.replaceRoot(file());
      forEverySignature(a.bytes, 'trailer', 'ROOT_CHANGED');
      const catalog = /\((\d+ \d+)\)/.exec(a.description)![1];
      forEverySignature(a.bytes, catalog, 'ROOT_CHANGED');
    });

    it('freeObject: deleting an object of the signed revision', () => {
      const num = page1(file()).num;
      forEverySignature(attacks.freeObject(file(), num).bytes, `${num} 0`, 'FREED_OBJECT');
    });

    it('bumpGeneration: an object rewritten under a new generation', () => {
      const num = page1(file()).num;
      forEverySignature(attacks.bumpGeneration(file(), num).bytes, `${num} 1`, 'GENERATION_CHANGED');
    });
  });

  it('ocgVisibilityFlip: the optional content configuration (shadow hide)', async () => {
    const prepared = attacks.addOptionalContentLayer(readFileSync(sample('chromium-print').file));
    const one = await signOnce(prepared);
    const two = await signOnce(one, 'seal');
    expect(analyzeModifications(two, signedEnds(two)[0]).level).toBe('ALLOWED');
    const a = attacks.ocgVisibilityFlip(two);
    const config = /object (\d+ \d+)/.exec(a.description)![1];
    for (const end of signedEnds(two)) expectDisallowed(a.bytes, end, config, 'OPTIONAL_CONTENT');
  });

  it('a later revision that re-points startxref at the original section: everything after it is unexplained', async () => {
    const one = await signOnce(readFileSync(sample('pdflib-table').file));
    const original = listRevisions(one)[0];
    const rollback = Buffer.concat([one, Buffer.from(`startxref\n${original.startxref}\n%%EOF\n`, 'latin1')]);
    // The file now reads as the unsigned original; the signature is no longer at a revision end.
    const r = analyzeModifications(rollback, signedEnds(one)[0]);
    expect(r.level).toBe('DISALLOWED');
    expect(r.changes[0].rule).toMatch(/^SIGNED_REVISION_NOT_FOUND/);
    expect(inspectRevisions(rollback).trailing?.length).toBe(rollback.length - original.end);
  });

  it('a hybrid-reference section after signing', async () => {
    const one = await signOnce(readFileSync(sample('pdflib-objstm').file));
    const xrefStm = listRevisions(one)[0].startxref;
    const hybrid = attacks.rawUpdate(one, [], [], ` /XRefStm ${xrefStm}`);
    expectDisallowed(hybrid, signedEnds(one)[0], 'xref', 'HYBRID_XREF');
  });

  it('an XObject planted as a dangling reference before signing and defined later as a "signature appearance"', async () => {
    // Shadow attack where every single change looks like a signature: the page already draws /Fx, which does
    // not exist when signed; a later update adds a signature widget whose appearance is object /Fx.
    const orig = readFileSync(sample('pdflib-table').file);
    const reader = PdfReader.open(orig);
    const page = reader.getPage(0);
    const plant = new IncrementalUpdate(reader);
    const hidden = new PdfRef(900, 0);
    const res = reader.dict(page.dict.get('Resources'))!.clone();
    res.set('XObject', (reader.dict(res.get('XObject'))?.clone() ?? new PdfDict()).set('Fx', hidden));
    const draw = plant.add(new PdfStream(new PdfDict(), Buffer.from('q /Fx Do Q\n', 'latin1')));
    const contents = page.dict.get('Contents');
    plant.set(page.ref, page.dict.clone().set('Resources', res).set('Contents', [...(Array.isArray(contents) ? contents : [contents!]), draw]));
    const victim = Buffer.concat([orig, plant.serialize().bytes]);
    const one = await signOnce(victim);

    const r1 = PdfReader.open(one);
    const p1 = r1.getPage(0);
    const upd = new IncrementalUpdate(r1);
    upd.set(hidden, new PdfStream(new PdfDict({ Type: N('XObject'), Subtype: N('Form'), BBox: [0, 0, 600, 800] }), Buffer.from('q 1 0 0 rg 0 0 600 800 re f Q\n', 'latin1')));
    const widget = upd.add(
      new PdfDict({ Type: N('Annot'), Subtype: N('Widget'), FT: N('Sig'), T: PdfString.text('Evil'), F: 4, Rect: [0, 0, 10, 10], P: p1.ref, AP: new PdfDict({ N: hidden }) }),
    );
    upd.set(p1.ref, p1.dict.clone().set('Annots', [...((r1.resolve(p1.dict.get('Annots')) as PdfRef[]) ?? []), widget]));
    const acroRef = r1.catalog.get('AcroForm') as PdfRef;
    const acro = r1.dict(acroRef)!.clone();
    upd.set(acroRef, acro.set('Fields', [...(r1.resolve(acro.get('Fields')) as PdfRef[]), widget]));
    const attacked = Buffer.concat([one, upd.serialize().bytes]);

    const r = analyzeModifications(attacked, signedEnds(one)[0]);
    expect(r.level).toBe('DISALLOWED');
    const bad = disallowed(r.changes);
    expect(bad.map((c) => c.object)).toEqual(['900 0']);
    expect(bad[0].rule).toMatch(/^PAGE_RESOURCE: \/XObject \/Fx used by page 1 was added/);
    // The widget itself and the page/AcroForm changes are plain signature-field additions.
    expect(r.changes.find((c) => c.object === widget.key)?.verdict).toBe('ALLOWED');
  });

  it('re-pointing a signed field to another signature dictionary', async () => {
    const two = signed.get('pdflib-table')!;
    const reader = PdfReader.open(two);
    const annots = reader.resolve(reader.getPage(0).dict.get('Annots')) as PdfRef[];
    const [w1, w2] = annots.slice(-2);
    const upd = new IncrementalUpdate(reader);
    upd.set(w1, reader.dict(w1)!.clone().set('V', reader.dict(w2)!.get('V')!));
    const attacked = Buffer.concat([two, upd.serialize().bytes]);
    expectDisallowed(attacked, signedEnds(two)[0], w1.key, 'SIGNED_FIELD_CHANGED');
    expectDisallowed(attacked, signedEnds(two)[1], w1.key, 'SIGNED_FIELD_CHANGED');
  });

  it('/Perms added after signing, and a new non-signature form field', async () => {
    const one = signed.get('pdflib-table')!;
    const reader = PdfReader.open(one);
    const upd = new IncrementalUpdate(reader);
    upd.set(reader.catalogRef, reader.catalog.clone().set('Perms', new PdfDict({ UR3: new PdfDict() })));
    expectDisallowed(Buffer.concat([one, upd.serialize().bytes]), signedEnds(one)[0], reader.catalogRef.key, 'PERMS_CHANGED');

    const upd2 = new IncrementalUpdate(reader);
    const page = reader.getPage(0);
    const field = upd2.add(new PdfDict({ Type: N('Annot'), Subtype: N('Widget'), FT: N('Tx'), T: PdfString.text('amount'), V: PdfString.text('9000'), Rect: [0, 0, 100, 20], P: page.ref }));
    upd2.set(page.ref, page.dict.clone().set('Annots', [...(reader.resolve(page.dict.get('Annots')) as PdfRef[]), field]));
    expectDisallowed(Buffer.concat([one, upd2.serialize().bytes]), signedEnds(one)[0], field.key, 'NEW_FORM_FIELD');
  });

  it('a new signature widget that carries a JavaScript action, or hangs under an already signed field', () => {
    const two = signed.get('chromium-print')!;
    const end = signedEnds(two)[0];
    const reader = PdfReader.open(two);
    const page = reader.getPage(0);
    const annots = reader.resolve(page.dict.get('Annots')) as PdfRef[];
    const widgetLike = (extra: Record<string, import('../../src/pdf/objects.ts').PdfObject>) => {
      const upd = new IncrementalUpdate(reader);
      const w = upd.add(new PdfDict({ Type: N('Annot'), Subtype: N('Widget'), F: 4, Rect: [0, 0, 600, 800], P: page.ref, ...extra }));
      upd.set(page.ref, page.dict.clone().set('Annots', [...annots, w]));
      return { bytes: Buffer.concat([two, upd.serialize().bytes]), w };
    };
    const js = widgetLike({ FT: N('Sig'), T: PdfString.text('Sig9'), AA: new PdfDict({ PO: new PdfDict({ S: N('JavaScript'), JS: PdfString.latin1('app.alert(1)') }) }) });
    expectDisallowed(js.bytes, end, js.w.key, 'ACTION_ADDED');
    // A second widget of Signature1, covering the page: reachable only through /Annots, /Parent points back.
    const kid = widgetLike({ Parent: annots[annots.length - 2] });
    expectDisallowed(kid.bytes, end, kid.w.key, 'SIGNED_FIELD_CHANGED: a widget was added to a signature field that was already signed');
  });

  it('document information: dates and producer may change, the title may not, nor may /Info point elsewhere', () => {
    const two = signed.get('chromium-print')!;
    const end = signedEnds(two)[1];
    const reader = PdfReader.open(two);
    const infoRef = reader.trailer.get('Info') as PdfRef;
    const info = reader.dict(infoRef)!;
    const with_ = (d: PdfDict) => {
      const upd = new IncrementalUpdate(reader);
      upd.set(infoRef, d);
      return Buffer.concat([two, upd.serialize().bytes]);
    };
    const dated = analyzeModifications(with_(info.clone().set('ModDate', PdfString.latin1('D:20260101000000Z')).set('Producer', PdfString.latin1('x'))), end, { docMdp: 1 });
    expect(dated.level).toBe('ALLOWED');
    expect(dated.changes.find((c) => c.object === infoRef.key)?.rule).toBe('DOC_INFO');
    expectDisallowed(with_(info.clone().set('Title', PdfString.text('Hợp đồng khác'))), end, infoRef.key, 'DOC_INFO_CHANGED: /Title');
    const repointed = attacks.rawUpdate(two, [], [], ` /Info ${(reader.catalog.get('Pages') as PdfRef).key} R`);
    expectDisallowed(repointed, end, 'trailer', 'DOC_INFO_CHANGED');
  });

  it('objects inside a later object stream are judged like any object; the containers are allowed', async () => {
    const one = await signOnce(readFileSync(sample('pdflib-objstm').file));
    const end = signedEnds(one)[0];
    const page = PdfReader.open(one).getPage(0);
    const rotated = attacks.objectStreamUpdate(one, [{ num: page.ref.num, obj: page.dict.clone().set('Rotate', 90) }]);
    expectDisallowed(rotated, end, page.ref.key, 'PAGE_CHANGED: /Rotate of page 1 changed');
    const rules = analyzeModifications(rotated, end).changes.filter((c) => c.verdict === 'ALLOWED').map((c) => c.rule);
    expect(rules.sort()).toEqual(['OBJECT_STREAM', 'XREF_STREAM']);
    // The same page rewritten unchanged inside an object stream is no change at all.
    const same = analyzeModifications(attacks.objectStreamUpdate(one, [{ num: page.ref.num, obj: page.dict }]), end);
    expect(same.level).toBe('ALLOWED');
    expect(same.changes.map((c) => c.rule).sort()).toEqual(['OBJECT_STREAM', 'XREF_STREAM']);
  });

  it('an object stream of the signed revision rewritten under its own number (members re-read from it)', async () => {
    const one = await signOnce(readFileSync(sample('pdflib-objstm').file));
    const reader = PdfReader.open(one);
    const pagesRef = reader.catalog.get('Pages') as PdfRef;
    const e = reader.entry(pagesRef.num);
    expect(e?.type).toBe('compressed');
    const container = (e as { stream: number }).stream;
    const members = [...reader.xref.merged]
      .filter(([, x]) => x.type === 'compressed' && x.stream === container)
      .sort((x, y) => (x[1] as { index: number }).index - (y[1] as { index: number }).index)
      .map(([n]) => ({ num: n, obj: n === pagesRef.num ? reader.dict(pagesRef)!.clone().set('Rotate', 180) : reader.getObject(n) }));
    const attacked = attacks.objectStreamUpdate(one, members, { streamNum: container, listMembers: false });
    const r = analyzeModifications(attacked, signedEnds(one)[0]);
    expect(r.level).toBe('DISALLOWED');
    expect(disallowed(r.changes).map((c) => [c.object, c.rule.split(':')[0]])).toEqual([[pagesRef.key, 'PAGE_TREE']]);
    expect(r.changes.find((c) => c.object === `${container} 0`)?.rule).toBe('OBJECT_STREAM');
  });

  it('structural byte attacks (USF, SWA, truncation) never yield an allowed result', () => {
    const two = signed.get('pdflib-objstm')!;
    const end = signedEnds(two)[0];
    for (const a of [attacks.signatureWrapping(two), attacks.truncateTail(two)]) {
      expect(analyzeModifications(a.bytes, end).level, a.description).toBe('DISALLOWED');
    }
    // In-place surgery leaves the revision structure alone: difference analysis has nothing to say, the
    // structure and digest checks catch them.
    for (const a of [attacks.zeroContents(two), attacks.cmsWithoutSigner(two), attacks.byteRangeZero(two), attacks.flipByteInSignedRange(two)]) {
      expect(a.bytes.length, a.description).toBe(two.length);
      expect(a.bytes.equals(two)).toBe(false);
    }
  });
});

describe('form filling, /DSS and document timestamps', () => {
  let acroform: Buffer;
  beforeAll(() => {
    acroform = readFileSync(sample('pdflib-acroform').file);
  });

  it('filling a text field after an approval signature is ALLOWED (FORM_FILLING)', async () => {
    const signed = await signOnce(acroform);
    const filled = attacks.fillTextField(signed, 'Tran Thi B');
    const r = analyzeModifications(filled, signedEnds(signed)[0]);
    expect(r.level, JSON.stringify(r.changes, null, 1)).toBe('ALLOWED');
    const rules = r.changes.map((c) => c.rule);
    expect(rules).toContain('FORM_FILLING');
    expect(rules).toContain('FORM_FIELD_APPEARANCE');
    expect(r.changes.find((c) => c.rule === 'FORM_FILLING')?.what).toMatch(/^form field "applicant.name"/);
    // The same change under a P=1 certification is not.
    expect(analyzeModifications(filled, signedEnds(signed)[0], { docMdp: 1 }).level).toBe('DISALLOWED');
  });

  it('after a real DocMDP P=1 certification, form filling is DISALLOWED; after P=2 it is ALLOWED', async () => {
    for (const p of [1, 2] as const) {
      const certified = await attacks.certifyPdf(acroform, person(), p);
      const reader = PdfReader.open(certified);
      expect(reader.dict(reader.catalog.get('Perms'))?.get('DocMDP')).toBeInstanceOf(PdfRef);
      const filled = attacks.fillTextField(certified, 'Tran Thi B');
      const r = analyzeModifications(filled, signedEnds(certified)[0], { docMdp: p });
      if (p === 1) {
        expect(r.level).toBe('DISALLOWED');
        expect(disallowed(r.changes).some((c) => c.rule.startsWith('DOCMDP: FORM_FILLING is not permitted by DocMDP P=1'))).toBe(true);
      } else expect(r.level, JSON.stringify(disallowed(r.changes), null, 1)).toBe('ALLOWED');
    }
  });

  it('/DSS and a document timestamp are ALLOWED even at P=1; a signature field is not', async () => {
    const certified = await attacks.certifyPdf(readFileSync(sample('chromium-print').file), person(), 1);
    const end = signedEnds(certified)[0];
    // LTV data: catalog /DSS with a certificate stream and an (empty) VRI dictionary.
    const reader = PdfReader.open(certified);
    const upd = new IncrementalUpdate(reader);
    const cert = upd.add(new PdfStream(new PdfDict(), person().certificate));
    const dss = upd.add(new PdfDict({ Certs: [cert], VRI: new PdfDict() }));
    upd.set(reader.catalogRef, reader.catalog.clone().set('DSS', dss));
    const withDss = Buffer.concat([certified, upd.serialize().bytes]);
    const r = analyzeModifications(withDss, end, { docMdp: 1 });
    expect(r.level, JSON.stringify(r.changes, null, 1)).toBe('ALLOWED');
    expect(r.changes.map((c) => c.rule).sort()).toEqual(['CATALOG_DSS', 'DSS', 'DSS']);

    // A document timestamp (structure only: the placeholder is not filled in).
    const ts = prepareSignature(withDss, { kind: 'document-timestamp', reservedBytes: 64 }, PdfReader.open(withDss)).bytes;
    const rt = analyzeModifications(ts, end, { docMdp: 1 });
    expect(rt.level, JSON.stringify(rt.changes, null, 1)).toBe('ALLOWED');
    expect(rt.changes.some((c) => c.rule === 'DOCUMENT_TIMESTAMP')).toBe(true);

    // An approval signature field in the same position is not permitted at P=1.
    const sig = prepareSignature(withDss, { reservedBytes: 64 }, PdfReader.open(withDss)).bytes;
    expect(analyzeModifications(sig, end, { docMdp: 1 }).level).toBe('DISALLOWED');
    expect(analyzeModifications(sig, end, { docMdp: 2 }).level).toBe('ALLOWED');
  });
});


