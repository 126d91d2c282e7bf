// Difference analysis of incremental updates (signature-security.md §4, after pyHanko and EU DSS, strict):
// every object written after the signed revision is compared with the signed revision and must be explained
// by a whitelist rule; anything else is a disallowed change.
//
// How an object is judged: its meaning comes from how it is reached, not from what it says it is. For each
// later revision the object graph is walked forward from the trailer, and every object collects the roles of
// every path that reaches it (page, page content, page resource, /Annots array, signature appearance, /DSS …).
// A changed object must pass the check of EVERY role it has: a stream that is both a new signature's
// appearance and a page's XObject is a page-resource change. Unchanged objects are never checked; they only
// pass roles on. Objects not reachable at all (orphans, object/xref stream containers) change nothing visible.
// Each later revision is analysed separately against the signed one, so a change that a later revision undoes
// is still reported.
import { PdfDict, PdfName, PdfObject, PdfRef, PdfStream, PdfString } from '../../pdf/objects.ts';
import { ObjectStore, RevisionView } from '../../pdf/revision-view.ts';
import type { XrefEntry } from '../../pdf/xref.ts';
import type { Change, ModificationLevel } from '../report.ts';
import { inspectRevisions, revisionEndingAt, revisionViews, type Revision, type RevisionInfo } from './revisions.ts';

export interface ModificationOptions {
  /** DocMDP P of the certification signature that governs this signature's later changes, if any. */
  docMdp?: 1 | 2 | 3;
  /** The analysed signature's field name (marks changes to that field in the report). */
  signatureFieldName?: string;
}

export interface ModificationAnalysis {
  level: ModificationLevel;
  changes: Change[];
}

/**
 * Change levels, least to most invasive (pyHanko's ModificationLevel): LTA = /DSS and document timestamps
 * (allowed even at DocMDP P=1), SIG = new or filled signature fields, FORM = form filling, ANNOT = annotations
 * (only at P=3), OTHER = never allowed.
 */
const enum Level {
  LTA = 0,
  SIG = 1,
  FORM = 2,
  ANNOT = 3,
  OTHER = 4,
}

interface Verdict {
  level: Level;
  rule: string;
}

type Kind =
  | 'CATALOG'
  | 'INFO'
  | 'PAGE_TREE'
  | 'KIDS'
  | 'KID'
  | 'PAGE'
  | 'ANNOTS'
  | 'ANNOT'
  | 'ANNOT_PART'
  | 'ACROFORM'
  | 'FIELDS'
  | 'FIELD'
  | 'FIELD_KIDS'
  | 'FIELD_PART'
  | 'AP'
  | 'AP_RES'
  | 'VALUE'
  | 'VALUE_PART'
  | 'DSS'
  | 'EXTENSIONS'
  | 'CONTENT'
  | 'RESOURCES'
  | 'RESOURCE'
  | 'OC'
  | 'OTHER';

interface RoleCore {
  kind: Kind;
  /** The annotation or field an appearance, value or part belongs to. */
  owner?: number;
  /** Object number of the page (for descriptions). */
  page?: number;
  detail?: string;
}

interface Role extends RoleCore {
  /** The referring object (undefined: the trailer) and the path inside it. */
  holder?: number;
  path: ReadonlyArray<string | number>;
}

type Path = Array<string | number>;
interface Edge {
  path: Path;
  ref: PdfRef;
}

const FIT_TYPES = new Set(['XYZ', 'Fit', 'FitH', 'FitV', 'FitR', 'FitB', 'FitBH', 'FitBV']);
/** Keys whose references point back at something (parent, page, destination) without using its content. */
const BACK_REFS = new Set(['P', 'Pg', 'Obj', 'Stm', 'StmOwn', 'IRT', 'Popup', 'Dest']);
/** Document information entries a signing application may update (pyHanko's DocInfoRule, narrowed). */
const INFO_KEYS = new Set(['ModDate', 'Producer']);
/** Upper bound on role propagation steps per revision (fail closed beyond). */
const MAX_STEPS = 2_000_000;

const isDestination = (c: PdfDict | PdfObject[], seg: string | number): boolean =>
  Array.isArray(c) && seg === 0 && c.length >= 2 && c[1] instanceof PdfName && FIT_TYPES.has(c[1].name);

/** One step along a path: the role of what is under `seg` of `c`, inside an object that has role `r`. */
function other(r: RoleCore, detail: string): RoleCore {
  return { kind: 'OTHER', detail, page: r.page };
}

function step(r: RoleCore, seg: string | number, c: PdfDict | PdfObject[], holder: number, holderIsStream: boolean): RoleCore | undefined {
  const k = typeof seg === 'string' ? seg : undefined;
  switch (r.kind) {
    case 'CATALOG':
      switch (k) {
        case 'Pages':
          return { kind: 'PAGE_TREE' };
        case 'AcroForm':
          return { kind: 'ACROFORM' };
        case 'DSS':
          return { kind: 'DSS' };
        case 'Extensions':
          return { kind: 'EXTENSIONS' };
        case 'OCProperties':
          return { kind: 'OC' };
        default:
          return other(r, `catalog /${seg}`);
      }
    case 'PAGE_TREE':
      if (k === 'Kids') return { kind: 'KIDS' };
      if (k === 'Parent') return { kind: 'PAGE_TREE' };
      if (k === 'Resources') return { kind: 'RESOURCES', detail: 'inherited' };
      return other(r, `page tree /${seg}`);
    case 'KIDS':
      return { kind: 'KID' };
    case 'KID': // a direct page-tree kid (invalid, but followed): refined to PAGE or PAGE_TREE by refine()
      return other(r, 'page tree');
    case 'PAGE':
      switch (k) {
        case 'Annots':
          return { kind: 'ANNOTS', page: r.page };
        case 'Contents':
          return { kind: 'CONTENT', page: r.page };
        case 'Resources':
          return { kind: 'RESOURCES', page: r.page };
        case 'Parent':
          return { kind: 'PAGE_TREE' };
        case 'B': // article beads point back at the page
          return undefined;
        default:
          return other(r, `page /${seg}`);
      }
    case 'ANNOTS':
      return typeof seg === 'number' ? { kind: 'ANNOT', page: r.page, owner: holder } : other(r, '/Annots');
    case 'ANNOT':
      switch (k) {
        case 'P':
        case 'IRT':
        case 'Popup':
        case 'Dest':
          return undefined;
        case 'Parent':
          return c instanceof PdfDict && c.name('Subtype') === 'Widget' ? { kind: 'FIELD', owner: holder } : undefined;
        case 'AP':
          return { kind: 'AP', owner: r.owner, page: r.page };
        case 'V':
          return { kind: 'VALUE', owner: r.owner };
        case 'Kids':
          return { kind: 'FIELD_KIDS' };
        case 'A':
        case 'AA':
        case 'PA':
          return other(r, `annotation action /${seg}`);
        case 'OC':
          return { kind: 'OC' };
        default:
          return { kind: 'ANNOT_PART', owner: r.owner, page: r.page };
      }
    case 'ACROFORM':
      return k === 'Fields' ? { kind: 'FIELDS' } : other(r, `AcroForm /${seg}`);
    case 'FIELDS':
    case 'FIELD_KIDS':
      return typeof seg === 'number' ? { kind: 'FIELD', owner: holder } : other(r, 'form field array');
    case 'FIELD':
      switch (k) {
        case 'Kids':
          return { kind: 'FIELD_KIDS' };
        case 'Parent':
          return { kind: 'FIELD', owner: holder };
        case 'V':
          return { kind: 'VALUE', owner: r.owner };
        case 'AP':
          return { kind: 'AP', owner: r.owner };
        case 'P':
        case 'IRT':
        case 'Popup':
          return undefined;
        case 'A':
        case 'AA':
          return other(r, `form field action /${seg}`);
        case 'OC':
          return { kind: 'OC' };
        default:
          return { kind: 'FIELD_PART', owner: r.owner };
      }
    case 'AP':
      return holderIsStream ? { kind: 'AP_RES', owner: r.owner, page: r.page } : { kind: 'AP', owner: r.owner, page: r.page };
    case 'AP_RES':
      return { kind: 'AP_RES', owner: r.owner, page: r.page };
    case 'VALUE':
    case 'VALUE_PART':
      // A signature reference's /Data points back at the signed object (the catalog).
      if (k === 'Data' || isDestination(c, seg)) return undefined;
      return { kind: 'VALUE_PART', owner: r.owner };
    case 'ANNOT_PART':
    case 'FIELD_PART':
      if (isDestination(c, seg) || (k !== undefined && BACK_REFS.has(k))) return undefined;
      return { kind: r.kind, owner: r.owner, page: r.page };
    case 'DSS':
    case 'EXTENSIONS':
    case 'CONTENT':
    case 'OC':
      return { kind: r.kind, page: r.page };
    case 'RESOURCES':
      return { kind: 'RESOURCE', page: r.page, detail: `/${seg}` };
    case 'RESOURCE':
      return { kind: 'RESOURCE', page: r.page, detail: r.detail && r.detail.split(' ').length < 2 ? `${r.detail} /${seg}` : r.detail };
    case 'INFO':
      return other(r, `document information /${seg}`);
    case 'OTHER':
      if (isDestination(c, seg) || (k !== undefined && BACK_REFS.has(k))) return undefined;
      return other(r, r.detail ?? 'object');
  }
}

/** Narrows a role by the value it lands on: a page-tree kid is a page or an intermediate node. */
function refine(r: RoleCore, value: PdfObject, num: number): RoleCore {
  if (r.kind === 'KID') {
    const d = value instanceof PdfDict ? value : undefined;
    if (d && (d.name('Type') === 'Pages' || d.has('Kids'))) return { kind: 'PAGE_TREE' };
    return { kind: 'PAGE', page: num };
  }
  if (r.kind === 'ANNOT' || r.kind === 'FIELD') return { ...r, owner: num };
  return r;
}

/** The role at the end of `path` inside `value` (an object with role `role`), or undefined if ignored. */
function follow(role: RoleCore, holder: number, value: PdfObject, path: Path): RoleCore | undefined {
  let core: RoleCore = role;
  let cur: PdfObject | undefined = value;
  for (let i = 0; i < path.length; i++) {
    const holderIsStream = i === 0 && cur instanceof PdfStream;
    const c: PdfDict | PdfObject[] | undefined = cur instanceof PdfStream ? cur.dict : cur instanceof PdfDict || Array.isArray(cur) ? cur : undefined;
    if (!c) return undefined;
    const seg = path[i];
    const next: PdfObject | undefined = c instanceof PdfDict ? c.get(seg as string) : c[seg as number];
    const s = step(core, seg, c, holder, holderIsStream);
    if (!s) return undefined;
    core = next instanceof PdfRef || next === undefined ? s : refine(s, next, holder);
    cur = next;
  }
  return core;
}

function collectEdges(o: PdfObject, path: Path, out: Edge[], depth: number): void {
  if (depth > 64) return;
  if (o instanceof PdfRef) out.push({ path: path.slice(), ref: o });
  else if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      path.push(i);
      collectEdges(o[i], path, out, depth + 1);
      path.pop();
    }
  } else if (o instanceof PdfDict) {
    for (const [k, v] of o.map) {
      path.push(k);
      collectEdges(v, path, out, depth + 1);
      path.pop();
    }
  } else if (o instanceof PdfStream) collectEdges(o.dict, path, out, depth + 1);
}

const isContainer = (o: PdfObject): boolean => o instanceof PdfStream && (o.dict.name('Type') === 'ObjStm' || o.dict.name('Type') === 'XRef');

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** Structural equality; references compare by number and generation (their targets are judged separately). */
export function pdfEqual(a: PdfObject | undefined, b: PdfObject | undefined, depth = 0): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null || depth > 64) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof PdfRef) return b instanceof PdfRef && a.num === b.num && a.gen === b.gen;
  if (a instanceof PdfName) return false; // interned: equal names are ===
  if (a instanceof PdfString) return b instanceof PdfString && bytesEqual(a.bytes, b.bytes);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => pdfEqual(x, b[i], depth + 1));
  if (a instanceof PdfDict) return b instanceof PdfDict && dictDiff(a, b, depth).length === 0;
  if (a instanceof PdfStream) {
    return b instanceof PdfStream && bytesEqual(a.data, b.data) && dictDiff(a.dict, b.dict, depth).filter((k) => k !== 'Length').length === 0;
  }
  return false;
}

/** Keys added, removed or changed between two dictionaries. */
function dictDiff(a: PdfDict | undefined, b: PdfDict | undefined, depth = 0): string[] {
  const out: string[] = [];
  const am = a?.map ?? new Map<string, PdfObject>();
  const bm = b?.map ?? new Map<string, PdfObject>();
  for (const [k, v] of am) if (!bm.has(k) || !pdfEqual(v, bm.get(k), depth + 1)) out.push(k);
  for (const k of bm.keys()) if (!am.has(k)) out.push(k);
  return out;
}

const asDict = (o: PdfObject | undefined): PdfDict | undefined => (o instanceof PdfDict ? o : o instanceof PdfStream ? o.dict : undefined);
const gen = (e: XrefEntry | undefined): number => (e && e.type !== 'compressed' ? e.gen : 0);
const DOCMDP_TEXT = (p: 1 | 2 | 3 | undefined): string => (p === undefined ? 'for an approval signature' : `by DocMDP P=${p}`);

function allowedAt(level: Level, docMdp: 1 | 2 | 3 | undefined): boolean {
  switch (level) {
    case Level.LTA:
      return true;
    case Level.SIG:
    case Level.FORM:
      return docMdp !== 1;
    case Level.ANNOT:
      return docMdp === 3;
    default:
      return false;
  }
}

function worst(vs: Verdict[], fallback: Verdict): Verdict {
  if (vs.length === 0) return fallback;
  const max = Math.max(...vs.map((v) => v.level));
  const rules = [...new Set(vs.filter((v) => v.level === max).map((v) => v.rule))];
  return { level: max, rule: rules.join('; ') };
}

class AnalysisLimit extends Error {}

/** One later revision compared with the signed revision. */
class RevisionComparison {
  private readonly baseRoot: number | undefined;
  /** Roles of the objects reachable in `state` (computed once per revision, see ModificationAnalyzer.roles). */
  roles = new Map<number, Role[]>();

  constructor(
    private readonly a: ModificationAnalyzer,
    readonly base: RevisionView,
    readonly state: RevisionView,
    readonly changed: Set<number>,
  ) {
    const r = base.trailer.get('Root');
    this.baseRoot = r instanceof PdfRef ? r.num : undefined;
  }

  get(view: RevisionView, num: number): PdfObject {
    try {
      return view.getObject(num);
    } catch {
      return null;
    }
  }

  isNew(num: number): boolean {
    return !this.base.has(num) || isContainer(this.get(this.base, num));
  }

  /** The value the signed revision had where the role's path now leads (for objects that replace another). */
  private oldAtPath(role: Role, num: number): PdfObject | undefined {
    if (!this.isNew(num)) return this.get(this.base, num);
    let cur: PdfObject | undefined;
    if (role.holder === undefined) cur = this.base.trailer;
    else if (!this.isNew(role.holder)) cur = this.get(this.base, role.holder);
    for (const seg of role.path) {
      const c = cur instanceof PdfStream ? cur.dict : cur;
      cur = c instanceof PdfDict ? c.get(seg as string) : Array.isArray(c) ? c[seg as number] : undefined;
      if (cur === undefined) return undefined;
    }
    return cur instanceof PdfRef ? (this.base.has(cur.num) ? this.get(this.base, cur.num) : undefined) : cur;
  }

  rolesOf(num: number): Role[] {
    return this.roles.get(num) ?? [];
  }

  // ---- field and annotation helpers (state view unless told) ----

  private inherited(view: RevisionView, num: number, key: string): PdfObject | undefined {
    let d = asDict(this.get(view, num));
    for (let i = 0; d && i < 32; i++) {
      if (d.has(key)) return d.get(key);
      d = view.dict(d.get('Parent'));
    }
    return undefined;
  }

  fieldType(view: RevisionView, num: number): string | undefined {
    const ft = this.inherited(view, num, 'FT');
    return ft instanceof PdfName ? ft.name : undefined;
  }

  fieldName(num: number): string {
    const parts: string[] = [];
    let d = asDict(this.get(this.state, num));
    for (let i = 0; d && i < 32; i++) {
      const t = this.state.resolve(d.get('T'));
      if (t instanceof PdfString) parts.unshift(t.toText());
      d = this.state.dict(d.get('Parent'));
    }
    return parts.join('.');
  }

  private isSigned(view: RevisionView, num: number): boolean {
    const v = this.inherited(view, num, 'V');
    return v !== undefined && view.resolve(v) !== null;
  }

  /** A field of the signed revision, signed there, that `num` descends from through /Parent. */
  private signedAncestor(num: number): number | undefined {
    let d = asDict(this.get(this.state, num));
    for (let i = 0; d && i < 32; i++) {
      const p = d.get('Parent');
      if (!(p instanceof PdfRef)) return undefined;
      if (!this.isNew(p.num) && this.isSigned(this.base, p.num)) return p.num;
      d = asDict(this.get(this.state, p.num));
    }
    return undefined;
  }

  /** New signature fields and annotations may not carry actions (JavaScript, launch, submit …). */
  private actionIn(num: number): Verdict | undefined {
    const d = asDict(this.get(this.state, num));
    const keys = ['A', 'AA', 'PA'].filter((k) => d?.has(k));
    return keys.length ? { level: Level.OTHER, rule: `ACTION_ADDED: the new object carries ${keys.map((k) => '/' + k).join(' ')}` } : undefined;
  }

  private isDocTimestamp(num: number): boolean {
    const v = this.state.dict(this.inherited(this.state, num, 'V'));
    return v?.name('Type') === 'DocTimeStamp' || v?.name('SubFilter') === 'ETSI.RFC3161';
  }

  annotKind(num: number): 'sig' | 'widget' | 'annot' | 'none' {
    const d = asDict(this.get(this.state, num));
    const st = d?.name('Subtype');
    if (!d || !st) return 'none';
    if (st === 'Widget') return this.fieldType(this.state, num) === 'Sig' ? 'sig' : 'widget';
    return 'annot';
  }

  /** The level of a change belonging to field/annotation `owner` (its appearance, value, parts). */
  ownerLevel(owner: number | undefined): Verdict & { label: string } {
    if (owner === undefined) return { level: Level.OTHER, rule: 'UNKNOWN_OWNER', label: 'unknown' };
    const d = asDict(this.get(this.state, owner));
    if (!d) return { level: Level.OTHER, rule: 'UNKNOWN_OWNER', label: 'unknown' };
    const isNew = this.isNew(owner);
    const ft = this.fieldType(this.state, owner);
    if (ft === 'Sig') {
      if (!isNew && this.isSigned(this.base, owner)) {
        return { level: Level.OTHER, rule: 'SIGNED_FIELD_CHANGED: a signature field that was already signed changed', label: 'signature' };
      }
      if (isNew && this.signedAncestor(owner) !== undefined) {
        return { level: Level.OTHER, rule: 'SIGNED_FIELD_CHANGED: a widget was added to a signature field that was already signed', label: 'signature' };
      }
      return this.isDocTimestamp(owner)
        ? { level: Level.LTA, rule: 'DOCUMENT_TIMESTAMP', label: 'document timestamp' }
        : { level: Level.SIG, rule: 'SIGNATURE_FIELD', label: 'signature' };
    }
    if (ft !== undefined || d.name('Subtype') === 'Widget') {
      return isNew
        ? { level: Level.OTHER, rule: 'NEW_FORM_FIELD: a form field (not a signature field) was added', label: 'form field' }
        : { level: Level.FORM, rule: 'FORM_FILLING', label: 'form field' };
    }
    if (d.has('Subtype')) return { level: Level.ANNOT, rule: 'ANNOTATION', label: 'annotation' };
    return { level: Level.OTHER, rule: 'UNKNOWN_OWNER', label: 'unknown' };
  }

  private arrayAppend(oldV: PdfObject | undefined, newV: PdfObject | undefined, kind: 'annot' | 'field', label: string): Verdict {
    const o = Array.isArray(oldV) ? oldV : oldV === undefined || oldV === null ? [] : undefined;
    if (!o) return { level: Level.OTHER, rule: `${label}_CHANGED: was not an array in the signed revision` };
    if (!Array.isArray(newV)) return { level: Level.OTHER, rule: `${label}_CHANGED: is not an array` };
    for (let i = 0; i < o.length; i++) {
      if (i >= newV.length || !pdfEqual(o[i], newV[i])) return { level: Level.OTHER, rule: `${label}_CHANGED: an entry of the signed revision was removed, replaced or moved` };
    }
    const vs: Verdict[] = [];
    for (const el of newV.slice(o.length)) {
      if (!(el instanceof PdfRef)) {
        vs.push({ level: Level.OTHER, rule: `${label}_CHANGED: a direct object was appended` });
        continue;
      }
      if (!this.isNew(el.num)) {
        vs.push({ level: Level.OTHER, rule: `${label}_CHANGED: object ${el.num} ${el.gen} of the signed revision was appended` });
        continue;
      }
      if (kind === 'annot') {
        const k = this.annotKind(el.num);
        const action = k === 'sig' || k === 'annot' ? this.actionIn(el.num) : undefined;
        if (action) vs.push(action);
        else if (k === 'sig') {
          const ol = this.ownerLevel(el.num);
          vs.push(ol.level === Level.OTHER ? ol : { level: ol.level, rule: ol.level === Level.LTA ? 'ANNOTS_DOCUMENT_TIMESTAMP_ADDED' : 'ANNOTS_SIGNATURE_WIDGET_ADDED' });
        } else if (k === 'widget') vs.push({ level: Level.OTHER, rule: 'NEW_FORM_FIELD: a form field widget (not a signature) was added to the page' });
        else if (k === 'annot') vs.push({ level: Level.ANNOT, rule: 'ANNOTATION_ADDED' });
        else vs.push({ level: Level.OTHER, rule: `${label}_CHANGED: object ${el.num} ${el.gen} appended is not an annotation` });
      } else if (this.fieldType(this.state, el.num) === 'Sig') {
        const ol = this.ownerLevel(el.num);
        vs.push(ol.level === Level.OTHER ? ol : { level: ol.level, rule: ol.level === Level.LTA ? 'FIELDS_DOCUMENT_TIMESTAMP_ADDED' : 'FIELDS_SIGNATURE_FIELD_ADDED' });
      } else vs.push({ level: Level.OTHER, rule: 'NEW_FORM_FIELD: a form field (not a signature field) was added' });
    }
    return worst(vs, { level: Level.LTA, rule: `${label}_UNCHANGED` });
  }

  private acroform(oldV: PdfObject | undefined, newV: PdfObject | undefined): Verdict {
    const o = asDict(oldV);
    const n = asDict(newV);
    if (!n) return { level: Level.OTHER, rule: 'ACROFORM_CHANGED: the AcroForm is not a dictionary' };
    const vs: Verdict[] = [];
    for (const k of dictDiff(o, n)) {
      if (k === 'Fields') vs.push(this.arrayAppend(this.base.resolve(o?.get('Fields')), this.state.resolve(n.get('Fields')), 'field', 'FIELDS'));
      else if (k === 'SigFlags') vs.push({ level: Level.LTA, rule: 'ACROFORM_SIGFLAGS' });
      else vs.push({ level: Level.OTHER, rule: `ACROFORM_CHANGED: /${k}` });
    }
    return worst(vs, { level: Level.LTA, rule: 'ACROFORM' });
  }

  private field(num: number): Verdict {
    if (this.isNew(num)) {
      if (this.fieldType(this.state, num) !== 'Sig') return { level: Level.OTHER, rule: 'NEW_FORM_FIELD: a form field (not a signature field) was added' };
      return this.actionIn(num) ?? this.ownerLevel(num);
    }
    const keys = dictDiff(asDict(this.get(this.base, num)), asDict(this.get(this.state, num)));
    const sig = this.fieldType(this.state, num) === 'Sig' || this.fieldType(this.base, num) === 'Sig';
    if (sig && this.isSigned(this.base, num)) {
      return { level: Level.OTHER, rule: `SIGNED_FIELD_CHANGED: ${keys.map((k) => '/' + k).join(' ')} of a signed signature field` };
    }
    const bad = keys.filter((k) => k !== 'V' && k !== 'AP' && k !== 'AS');
    if (bad.length) return { level: Level.OTHER, rule: `FIELD_CHANGED: ${bad.map((k) => '/' + k).join(' ')}` };
    if (sig) {
      const ol = this.ownerLevel(num);
      return ol.level === Level.OTHER ? ol : { level: ol.level, rule: 'SIGNATURE_FIELD_FILLED' };
    }
    return { level: Level.FORM, rule: 'FORM_FILLING' };
  }

  private ownerPart(role: Role, num: number, what: string): Verdict {
    const ol = this.ownerLevel(role.owner);
    if (ol.level === Level.OTHER) return ol;
    if (this.isNew(num)) {
      const prefix = ol.level === Level.LTA ? 'DOCUMENT_TIMESTAMP' : ol.level === Level.SIG ? 'SIGNATURE' : ol.level === Level.FORM ? 'FORM_FIELD' : 'ANNOTATION';
      return { level: ol.level, rule: `${prefix}_${what}` };
    }
    // An object of the signed revision rewritten in place.
    if (what === 'APPEARANCE' && ol.level === Level.FORM) return { level: Level.FORM, rule: 'FORM_FIELD_APPEARANCE' };
    if (what === 'VALUE' && ol.level === Level.FORM) return { level: Level.FORM, rule: 'FORM_FILLING' };
    if (what === 'PART' && ol.level === Level.ANNOT) return { level: Level.ANNOT, rule: 'ANNOTATION_CHANGED' };
    return { level: Level.OTHER, rule: `${what === 'APPEARANCE_RESOURCE' ? 'SHARED_RESOURCE_CHANGED' : what + '_CHANGED'}: an object of the signed revision (${ol.label} ${what.toLowerCase().replace(/_/g, ' ')}) was rewritten` };
  }

  /** The verdict for one role of a changed object. */
  check(role: Role, num: number): Verdict {
    const isNew = this.isNew(num);
    const oldV = this.oldAtPath(role, num);
    const newV = this.get(this.state, num);
    const page = role.page !== undefined ? this.a.pageLabel(role.page) : 'a page';
    switch (role.kind) {
      case 'CATALOG': {
        if (num !== this.baseRoot) return { level: Level.OTHER, rule: 'ROOT_CHANGED: the trailer points to another catalog' };
        const o = asDict(oldV);
        const n = asDict(newV);
        const vs: Verdict[] = [];
        for (const k of dictDiff(o, n)) {
          if (k === 'AcroForm') {
            const v = this.acroform(this.base.resolve(o?.get('AcroForm')), this.state.resolve(n?.get('AcroForm')));
            vs.push(v.level === Level.OTHER ? v : { level: v.level, rule: 'CATALOG_ACROFORM' });
          } else if (k === 'DSS') vs.push({ level: Level.LTA, rule: 'CATALOG_DSS' });
          else if (k === 'Extensions') vs.push({ level: Level.LTA, rule: 'CATALOG_EXTENSIONS' });
          else if (k === 'Perms') vs.push({ level: Level.OTHER, rule: 'PERMS_CHANGED: /Perms (certification) added or changed after signing' });
          else if (k === 'OCProperties') vs.push({ level: Level.OTHER, rule: 'OPTIONAL_CONTENT: catalog /OCProperties changed' });
          else if (k === 'Pages') vs.push({ level: Level.OTHER, rule: 'PAGE_TREE: catalog /Pages changed' });
          else if (k === 'Metadata') vs.push({ level: Level.OTHER, rule: 'METADATA_CHANGED: catalog /Metadata changed' });
          else vs.push({ level: Level.OTHER, rule: `CATALOG_CHANGED: /${k}` });
        }
        return worst(vs, { level: Level.LTA, rule: 'CATALOG_UNCHANGED' });
      }
      case 'INFO': {
        const bad = dictDiff(asDict(oldV), asDict(newV)).filter((k) => !INFO_KEYS.has(k));
        return bad.length ? { level: Level.OTHER, rule: `DOC_INFO_CHANGED: ${bad.map((k) => '/' + k).join(' ')}` } : { level: Level.LTA, rule: 'DOC_INFO' };
      }
      case 'PAGE_TREE':
        return { level: Level.OTHER, rule: isNew ? 'PAGE_TREE: a page tree node was added' : `PAGE_TREE: ${dictDiff(asDict(oldV), asDict(newV)).map((k) => '/' + k).join(' ')} of a page tree node changed` };
      case 'KIDS':
      case 'KID':
        return { level: Level.OTHER, rule: 'PAGE_TREE: page tree changed' };
      case 'PAGE': {
        if (isNew) return { level: Level.OTHER, rule: 'NEW_PAGE: a page was added' };
        const o = asDict(oldV);
        const n = asDict(newV);
        const vs: Verdict[] = [];
        for (const k of dictDiff(o, n)) {
          if (k === 'Annots') {
            const v = this.arrayAppend(this.base.resolve(o?.get('Annots')), this.state.resolve(n?.get('Annots')), 'annot', 'ANNOTS');
            vs.push(v.level === Level.OTHER || v.level === Level.ANNOT ? v : { level: v.level, rule: 'PAGE_ANNOTS' });
          } else if (k === 'Contents') vs.push({ level: Level.OTHER, rule: `PAGE_CONTENT: /Contents of ${page} changed` });
          else if (k === 'Resources') vs.push({ level: Level.OTHER, rule: `PAGE_RESOURCES: /Resources of ${page} changed` });
          else vs.push({ level: Level.OTHER, rule: `PAGE_CHANGED: /${k} of ${page} changed` });
        }
        return worst(vs, { level: Level.LTA, rule: 'PAGE_UNCHANGED' });
      }
      case 'ANNOTS':
        return this.arrayAppend(oldV, newV, 'annot', 'ANNOTS');
      case 'ANNOT': {
        if (isNew) {
          const k = this.annotKind(num);
          const action = this.actionIn(num);
          if (action && (k === 'sig' || k === 'annot')) return action;
          if (k === 'sig') return this.ownerLevel(num);
          if (k === 'widget') return { level: Level.OTHER, rule: 'NEW_FORM_FIELD: a form field widget (not a signature) was added' };
          if (k === 'annot') return { level: Level.ANNOT, rule: 'ANNOTATION_ADDED' };
          return { level: Level.OTHER, rule: 'NOT_AN_ANNOTATION: a non-annotation was put into /Annots' };
        }
        if (asDict(newV)?.name('Subtype') === 'Widget' || asDict(oldV)?.name('Subtype') === 'Widget') return this.field(num);
        return { level: Level.ANNOT, rule: 'ANNOTATION_CHANGED' };
      }
      case 'ACROFORM':
        return this.acroform(oldV, newV);
      case 'FIELDS':
        return this.arrayAppend(oldV, newV, 'field', 'FIELDS');
      case 'FIELD':
        return this.field(num);
      case 'FIELD_KIDS':
        return { level: Level.OTHER, rule: 'FIELD_CHANGED: /Kids' };
      case 'AP':
        return this.ownerPart(role, num, 'APPEARANCE');
      case 'AP_RES':
        return this.ownerPart(role, num, 'APPEARANCE_RESOURCE');
      case 'VALUE': {
        if (this.fieldType(this.state, role.owner ?? -1) === 'Sig') {
          const d = asDict(newV);
          const t = d?.name('Type');
          if (!d || (t !== 'Sig' && t !== 'DocTimeStamp' && !(d.has('ByteRange') && d.has('Contents')))) {
            return { level: Level.OTHER, rule: 'SIGNATURE_VALUE_INVALID: the signature field value is not a signature dictionary' };
          }
          const v = this.ownerPart(role, num, 'DICTIONARY');
          return isNew ? v : { level: Level.OTHER, rule: 'SIGNATURE_DICTIONARY_CHANGED: a signature dictionary of the signed revision was rewritten' };
        }
        return this.ownerPart(role, num, 'VALUE');
      }
      case 'VALUE_PART':
        if (!isNew && this.fieldType(this.state, role.owner ?? -1) === 'Sig') {
          return { level: Level.OTHER, rule: 'SIGNATURE_DICTIONARY_CHANGED: part of a signature dictionary of the signed revision was rewritten' };
        }
        return this.ownerPart(role, num, 'VALUE');
      case 'ANNOT_PART':
      case 'FIELD_PART':
        return this.ownerPart(role, num, 'PART');
      case 'DSS':
        return { level: Level.LTA, rule: 'DSS' };
      case 'EXTENSIONS':
        return { level: Level.LTA, rule: 'CATALOG_EXTENSIONS' };
      case 'CONTENT':
        return { level: Level.OTHER, rule: `PAGE_CONTENT: a content stream of ${page} ${isNew ? 'was added' : 'was rewritten'}` };
      case 'RESOURCES':
        return { level: Level.OTHER, rule: `PAGE_RESOURCES: the resources of ${page} changed` };
      case 'RESOURCE':
        return { level: Level.OTHER, rule: `PAGE_RESOURCE: ${role.detail ?? 'a resource'} used by ${page} ${isNew ? 'was added' : 'was redefined'}` };
      case 'OC':
        return { level: Level.OTHER, rule: 'OPTIONAL_CONTENT: optional content (layer visibility) changed' };
      case 'OTHER':
        return { level: Level.OTHER, rule: `CHANGED: ${role.detail ?? 'object'}` };
    }
  }

  describe(role: Role, num: number, fieldName?: string): string {
    const page = role.page !== undefined ? this.a.pageLabel(role.page) : undefined;
    const owner = (o: number | undefined): string => {
      if (o === undefined) return 'an unknown owner';
      const name = this.fieldName(o);
      const mark = fieldName !== undefined && name === fieldName ? ' (the analysed signature)' : '';
      const ft = this.fieldType(this.state, o);
      if (ft === 'Sig') return `${this.isDocTimestamp(o) ? 'document timestamp' : 'signature'} field "${name}"${mark}`;
      if (ft !== undefined) return `form field "${name}"`;
      const st = asDict(this.get(this.state, o))?.name('Subtype');
      return st ? `/${st} annotation` : `object ${o}`;
    };
    const type = asDict(this.get(this.state, num))?.name('Subtype') ?? asDict(this.get(this.state, num))?.name('Type');
    switch (role.kind) {
      case 'CATALOG':
        return 'document catalog';
      case 'INFO':
        return 'document information dictionary';
      case 'PAGE_TREE':
      case 'KIDS':
      case 'KID':
        return 'page tree node';
      case 'PAGE':
        return page ?? 'page';
      case 'ANNOTS':
        return `/Annots array of ${page ?? 'a page'}`;
      case 'ANNOT':
      case 'FIELD':
        return owner(num) + (role.kind === 'ANNOT' && page ? ` on ${page}` : '');
      case 'ACROFORM':
        return 'AcroForm dictionary';
      case 'FIELDS':
        return 'AcroForm /Fields array';
      case 'FIELD_KIDS':
        return 'form field /Kids array';
      case 'AP':
        return `appearance of ${owner(role.owner)}`;
      case 'AP_RES':
        return `${type ? `/${type} ` : ''}resource of the appearance of ${owner(role.owner)}`;
      case 'VALUE':
        return this.fieldType(this.state, role.owner ?? -1) === 'Sig' ? `signature dictionary of ${owner(role.owner)}` : `value of ${owner(role.owner)}`;
      case 'VALUE_PART':
        return `part of the value of ${owner(role.owner)}`;
      case 'ANNOT_PART':
      case 'FIELD_PART':
        return `part of ${owner(role.owner)}`;
      case 'DSS':
        return '/DSS (document security store)';
      case 'EXTENSIONS':
        return 'catalog /Extensions';
      case 'CONTENT':
        return `content stream of ${page ?? 'a page'}`;
      case 'RESOURCES':
        return `resources of ${page ?? 'a page'}`;
      case 'RESOURCE':
        return `${role.detail ?? 'resource'}${type ? ` (/${type})` : ''} in the resources of ${page ?? 'a page'}`;
      case 'OC':
        return 'optional content (/OCProperties)';
      case 'OTHER':
        return role.detail ?? 'object';
    }
  }

  /** The verdict of a changed object over all its roles. */
  judge(num: number, docMdp: 1 | 2 | 3 | undefined, fieldName?: string): { verdict: 'ALLOWED' | 'DISALLOWED'; rule: string; what: string } {
    const roles = this.rolesOf(num);
    if (roles.length === 0) {
      const v = this.get(this.state, num);
      const t = asDict(v)?.name('Type');
      if (v instanceof PdfStream && t === 'ObjStm') return { verdict: 'ALLOWED', rule: 'OBJECT_STREAM', what: 'object stream' };
      if (v instanceof PdfStream && t === 'XRef') return { verdict: 'ALLOWED', rule: 'XREF_STREAM', what: 'cross-reference stream' };
      return { verdict: 'ALLOWED', rule: 'UNREFERENCED', what: `unreferenced object${t ? ` (/${t})` : ''}` };
    }
    let worstV: Verdict | undefined;
    let worstRole = roles[0];
    for (const r of roles) {
      const v = this.check(r, num);
      const gated: Verdict = v.level !== Level.OTHER && !allowedAt(v.level, docMdp) ? { level: Level.OTHER, rule: `DOCMDP: ${v.rule} is not permitted ${DOCMDP_TEXT(docMdp)}` } : v;
      if (!worstV || gated.level > worstV.level) {
        worstV = gated;
        worstRole = r;
      }
      if (gated.level === Level.OTHER) break;
    }
    return {
      verdict: worstV!.level === Level.OTHER ? 'DISALLOWED' : 'ALLOWED',
      rule: worstV!.rule,
      what: this.describe(worstRole, num, fieldName),
    };
  }
}

/**
 * Analyses one file; reuse it for every signature of the file (parsed objects and edges are shared).
 */
export class ModificationAnalyzer {
  readonly info: RevisionInfo;
  private readonly store: ObjectStore;
  private readonly views: RevisionView[];
  private readonly edgeCache = new Map<string, Edge[]>();
  private readonly roleCache = new Map<number, Map<number, Role[]>>();
  private pageIndex: Map<number, number> | undefined;
  private pageIndexView: RevisionView | undefined;

  constructor(readonly bytes: Uint8Array) {
    this.info = inspectRevisions(bytes);
    this.store = new ObjectStore(bytes);
    this.views = revisionViews(bytes, this.info.revisions, this.store);
  }

  /** @internal References inside an object, with their paths (cached by storage location). */
  edges(view: RevisionView, num: number, value: PdfObject): Edge[] {
    const loc = view.location(num);
    const hit = loc !== undefined ? this.edgeCache.get(loc) : undefined;
    if (hit) return hit;
    const out: Edge[] = [];
    collectEdges(value, [], out, 0);
    if (loc !== undefined) this.edgeCache.set(loc, out);
    return out;
  }

  /**
   * @internal Roles of every object reachable in revision `ri` (0-based), by a forward walk from its trailer. They depend
   * on that revision alone, so they are computed once and shared by every signature analysed.
   */
  roles(ri: number): Map<number, Role[]> {
    const hit = this.roleCache.get(ri);
    if (hit) return hit;
    const state = this.views[ri];
    const get = (num: number): PdfObject => {
      try {
        return state.getObject(num);
      } catch {
        return null;
      }
    };
    const roles = new Map<number, Role[]>();
    const queue: Array<[number, Role]> = [];
    const t = state.trailer;
    const root = t.get('Root');
    const info = t.get('Info');
    const enc = t.get('Encrypt');
    if (root instanceof PdfRef) queue.push([root.num, { kind: 'CATALOG', path: ['Root'] }]);
    if (info instanceof PdfRef) queue.push([info.num, { kind: 'INFO', path: ['Info'] }]);
    if (enc instanceof PdfRef) queue.push([enc.num, { kind: 'OTHER', detail: 'encryption dictionary', path: ['Encrypt'] }]);
    let steps = 0;
    while (queue.length) {
      const [num, role] = queue.pop()!;
      // One role per kind and owner is enough: the checks depend on nothing else.
      let list = roles.get(num);
      if (!list) roles.set(num, (list = []));
      else if (list.some((r) => r.kind === role.kind && r.owner === role.owner)) continue;
      list.push(role);
      if (++steps > MAX_STEPS) throw new AnalysisLimit();
      const value = get(num);
      if (value === null || isContainer(value)) continue;
      for (const e of this.edges(state, num, value)) {
        const core = follow(role, num, value, e.path);
        if (!core) continue;
        const r = refine(core, get(e.ref.num), e.ref.num) as Role;
        queue.push([e.ref.num, { kind: r.kind, owner: r.owner, page: r.page, detail: r.detail, holder: num, path: e.path }]);
      }
    }
    this.roleCache.set(ri, roles);
    return roles;
  }

  /** @internal "page N" from the signed revision's page tree (object number when not in the tree). */
  pageLabel(num: number): string {
    if (!this.pageIndex) {
      this.pageIndex = new Map();
      const view = this.pageIndexView!;
      let n = 0;
      const seen = new Set<number>();
      const visit = (o: PdfObject | undefined, depth: number): void => {
        if (!(o instanceof PdfRef) || seen.has(o.num) || depth > 64 || n > 100_000) return;
        seen.add(o.num);
        let d: PdfDict | undefined;
        try {
          d = view.dict(o);
        } catch {
          return;
        }
        if (!d) return;
        const kids = d.get('Kids');
        if (d.name('Type') === 'Pages' || kids !== undefined) {
          const k = view.resolve(kids);
          if (Array.isArray(k)) for (const kid of k) visit(kid, depth + 1);
        } else this.pageIndex!.set(o.num, n++);
      };
      try {
        visit(view.dict(view.trailer.get('Root'))?.get('Pages'), 0);
      } catch {
        /* descriptions only */
      }
    }
    const i = this.pageIndex.get(num);
    return i === undefined ? `page object ${num}` : `page ${i + 1}`;
  }

  analyze(signedRevisionEnd: number, opts: ModificationOptions = {}): ModificationAnalysis {
    const { revisions, trailing } = this.info;
    const changes: Change[] = [];
    const signed = revisionEndingAt(revisions, signedRevisionEnd);
    if (!signed) {
      changes.push({
        object: 'ByteRange',
        revision: 0,
        what: `signed range ending at byte ${signedRevisionEnd}`,
        verdict: 'DISALLOWED',
        rule: 'SIGNED_REVISION_NOT_FOUND: the signed range does not end at the end of a revision of this file',
      });
      return { level: 'DISALLOWED', changes };
    }
    const si = signed.number - 1;
    const base = this.views[si];
    // The signed revision must itself be well formed: otherwise what we compare against may not be what the
    // signer's software saw.
    for (const p of signed.problems) {
      changes.push({ object: 'xref', revision: signed.number, what: `cross-reference section of the signed revision ${signed.number}`, verdict: 'DISALLOWED', rule: `XREF_STRUCTURE: ${p}` });
    }
    if (this.pageIndexView !== base) {
      this.pageIndexView = base;
      this.pageIndex = undefined;
    }
    const written = new Set<number>();
    const reported = new Map<number, 'ALLOWED' | 'DISALLOWED'>();
    const trailerReported = new Set<string>();
    for (let ri = si + 1; ri < revisions.length; ri++) {
      const rev = revisions[ri];
      const state = this.views[ri];
      try {
        this.compareRevision(rev, base, state, written, reported, trailerReported, changes, opts);
      } catch (e) {
        changes.push({
          object: 'revision',
          revision: rev.number,
          what: `revision ${rev.number}`,
          verdict: 'DISALLOWED',
          rule: e instanceof AnalysisLimit ? 'ANALYSIS_LIMIT: the object graph is too large to analyse' : `MALFORMED: ${(e as Error).message}`,
        });
      }
    }
    if (trailing) {
      changes.push({
        object: 'trailing bytes',
        revision: revisions.length + 1,
        what: `${trailing.length} byte${trailing.length > 1 ? 's' : ''} after the last %%EOF (byte ${trailing.offset})`,
        verdict: 'DISALLOWED',
        rule: `TRAILING_BYTES: data after the last revision${trailing.whitespaceOnly ? ' (whitespace)' : ''} is not covered by any revision`,
      });
    }
    const level: ModificationLevel = changes.some((c) => c.verdict === 'DISALLOWED')
      ? 'DISALLOWED'
      : changes.length > 0 || si < revisions.length - 1
        ? 'ALLOWED'
        : 'NONE';
    return { level, changes };
  }

  private compareRevision(
    rev: Revision,
    base: RevisionView,
    state: RevisionView,
    written: Set<number>,
    reported: Map<number, 'ALLOWED' | 'DISALLOWED'>,
    trailerReported: Set<string>,
    changes: Change[],
    opts: ModificationOptions,
  ): void {
    const push = (object: string, what: string, rule: string, verdict: 'ALLOWED' | 'DISALLOWED' = 'DISALLOWED'): void => {
      changes.push({ object, revision: rev.number, what, verdict, rule });
    };
    for (const p of rev.problems) push('xref', `cross-reference section of revision ${rev.number}`, `XREF_STRUCTURE: ${p}`);
    if (rev.kind === 'hybrid') {
      push('xref', `cross-reference section of revision ${rev.number}`, 'HYBRID_XREF: a hybrid-reference section (/XRefStm) after signing: readers may see different objects');
    }
    // Trailer: the catalog must stay the same object; no encryption may appear.
    for (const key of ['Root', 'Encrypt', 'Info'] as const) {
      const b = base.trailer.get(key);
      const s = state.trailer.get(key);
      if (pdfEqual(b, s)) continue;
      // A new /Info dictionary is judged as an object (DOC_INFO); pointing /Info at an existing object is not.
      if (key === 'Info' && (s === undefined || (s instanceof PdfRef && !base.has(s.num)))) continue;
      const id = `${key}:${s instanceof PdfRef ? s.key : String(s)}`;
      if (trailerReported.has(id)) continue;
      trailerReported.add(id);
      push(
        'trailer',
        `trailer /${key}`,
        key === 'Root'
          ? 'ROOT_CHANGED: the trailer points to another catalog'
          : key === 'Info'
            ? 'DOC_INFO_CHANGED: the trailer /Info points to another object of the signed revision'
            : 'ENCRYPT_CHANGED: encryption added or changed after signing',
      );
    }

    const comparison = new RevisionComparison(this, base, state, new Set());
    const objectId = (num: number): string => `${num} ${gen(state.entry(num) ?? base.entry(num))}`;
    for (const [num, e] of rev.entries) {
      if (e.type === 'free') {
        if (num !== 0 && base.has(num) && !state.has(num) && reported.get(num) !== 'DISALLOWED') {
          reported.set(num, 'DISALLOWED');
          push(`${num} ${gen(base.entry(num))}`, 'object of the signed revision', 'FREED_OBJECT: an object of the signed revision was deleted (xref free entry)');
        }
        continue;
      }
      written.add(num);
      if (base.has(num) && !comparison.isNew(num) && gen(e) !== gen(base.entry(num))) {
        push(`${num} ${gen(e)}`, `object ${num} (generation ${gen(base.entry(num))} in the signed revision)`, 'GENERATION_CHANGED: an object of the signed revision got a new generation number');
        reported.set(num, 'DISALLOWED');
      }
    }

    // Candidates: everything written since signing, plus objects stored in an object stream of the signed
    // revision whose number was rewritten (they now read from the new stream).
    const candidates = new Set<number>();
    const rewrittenStms = new Set<number>();
    for (const num of written) {
      if (!state.has(num)) continue;
      candidates.add(num);
      if (base.has(num)) {
        const bv = comparison.get(base, num);
        if (bv instanceof PdfStream && bv.dict.name('Type') === 'ObjStm') rewrittenStms.add(num);
      }
    }
    if (rewrittenStms.size) {
      for (const [n, be] of base.entries) {
        if (be.type === 'compressed' && rewrittenStms.has(be.stream) && state.has(n)) candidates.add(n);
      }
    }
    for (const num of candidates) {
      let sv: PdfObject;
      try {
        sv = state.getObject(num);
      } catch (err) {
        // Unreadable: written badly in this revision, or an object of the signed revision whose object stream
        // was rewritten without it.
        if ((rev.entries.has(num) || !comparison.isNew(num)) && reported.get(num) !== 'DISALLOWED') {
          reported.set(num, 'DISALLOWED');
          push(objectId(num), `object ${num}`, `MALFORMED_OBJECT: ${(err as Error).message}`);
        }
        continue;
      }
      if (!comparison.isNew(num) && pdfEqual(sv, comparison.get(base, num))) continue;
      comparison.changed.add(num);
    }
    if (comparison.changed.size === 0) return;
    comparison.roles = this.roles(rev.number - 1);
    for (const num of [...comparison.changed].sort((x, y) => x - y)) {
      const j = comparison.judge(num, opts.docMdp, opts.signatureFieldName);
      const mine = rev.entries.has(num);
      if (!mine && !(j.verdict === 'DISALLOWED' && reported.get(num) !== 'DISALLOWED')) continue;
      if (reported.get(num) === 'DISALLOWED' && mine && j.verdict === 'DISALLOWED' && changes.some((c) => c.revision === rev.number && c.object === objectId(num))) continue;
      reported.set(num, j.verdict);
      push(objectId(num), j.what, j.rule, j.verdict);
    }
  }
}

/**
 * Difference analysis of everything appended after the revision a signature covers. `signedRevisionEnd` is
 * where the signed bytes end (ByteRange c + d): a revision end, or its %%EOF.
 */
export function analyzeModifications(bytes: Uint8Array, signedRevisionEnd: number, opts: ModificationOptions = {}): ModificationAnalysis {
  let analyzer: ModificationAnalyzer;
  try {
    analyzer = new ModificationAnalyzer(bytes);
  } catch (e) {
    // The cross-reference chain itself is unreadable: nothing after the signature can be explained.
    return {
      level: 'DISALLOWED',
      changes: [{ object: 'xref', revision: 0, what: 'cross-reference chain', verdict: 'DISALLOWED', rule: `MALFORMED: ${(e as Error).message}` }],
    };
  }
  return analyzer.analyze(signedRevisionEnd, opts);
}
