// The XML side of the model, shared by build.ts and parse.ts so that both read the same table: element names
// and order, which fields repeat, which list has a wrapper element, and the wire format of each value. Also the
// translation of validation issues into element paths with Vietnamese and English messages.
// Internal to src/exchange/edxml.
import type { Element, Node } from '@xmldom/xmldom';
import type { z } from 'zod';
import { KysoError } from '../../errors.ts';

/** Wire format of a leaf element. */
export type Leaf =
  | 'text' // free text, kept exactly
  | 'token' // identifier-like, trimmed on input
  | 'dmy' // calendar date, emitted dd/MM/yyyy
  | 'ymd' // calendar date, emitted yyyy/MM/dd
  | 'timestamp' // instant, emitted yyyy/MM/dd HH:mm:ss Vietnam time
  | 'count' // non-negative integer
  | 'base64'; // bytes

export interface Field {
  /** Model key (the element name unless stated). */
  key: string;
  el: string;
  type: Leaf | Complex;
  /** The element repeats directly (To*, TraceHeader*); the model value is an array. */
  repeat?: boolean;
  /** The element wraps a list of `wrap` elements (ToPlaces/Place*); the model value is an array. */
  wrap?: string;
}

export interface Complex {
  fields: Field[];
  /** Attributes: model key → attribute name. */
  attrs?: Record<string, string>;
}

const f = (el: string, type: Leaf | Complex, extra: Partial<Field> = {}): Field => ({ key: el, el, type, ...extra });

export const ORGANIZATION: Complex = {
  fields: [
    f('OrganId', 'token'),
    f('OrganizationInCharge', 'text'),
    f('OrganName', 'text'),
    f('OrganAdd', 'text'),
    f('Email', 'token'),
    f('Telephone', 'token'),
    f('Fax', 'token'),
    f('Website', 'token'),
  ],
};
const CODE: Complex = { fields: [f('CodeNumber', 'token'), f('CodeNotation', 'token')] };
const PROMULGATION_INFO: Complex = { fields: [f('Place', 'text'), f('PromulgationDate', 'dmy')] };
const DOCUMENT_TYPE: Complex = { fields: [f('Type', 'token'), f('TypeDetail', 'token'), f('TypeName', 'text')] };
const SIGNER_INFO: Complex = { fields: [f('Competence', 'text'), f('Position', 'text'), f('FullName', 'text')] };
const OTHER_INFO: Complex = {
  fields: [
    f('Priority', 'token'),
    f('SphereOfPromulgation', 'text'),
    f('TyperNotation', 'text'),
    f('PromulgationAmount', 'count'),
    f('PageAmount', 'count'),
    f('Direction', 'token'),
    f('Appendixes', 'text', { wrap: 'Appendix' }),
  ],
};
export const RESPONSE_FOR: Complex = {
  fields: [f('OrganId', 'token'), f('Code', 'token'), f('PromulgationDate', 'ymd'), f('DocumentId', 'token')],
};
export const MESSAGE_HEADER: Complex = {
  fields: [
    f('From', ORGANIZATION),
    f('To', ORGANIZATION, { repeat: true }),
    f('DocumentId', 'token'),
    f('Code', CODE),
    f('PromulgationInfo', PROMULGATION_INFO),
    f('DocumentType', DOCUMENT_TYPE),
    f('Subject', 'text'),
    f('Content', 'text'),
    f('SignerInfo', SIGNER_INFO),
    f('DueDate', 'dmy'),
    f('OtherInfo', OTHER_INFO),
    f('SteeringType', 'token'),
    f('ToPlaces', 'text', { wrap: 'Place' }),
    f('ResponseFor', RESPONSE_FOR, { repeat: true }),
  ],
};
export const STAFF_INFO: Complex = { fields: [f('Department', 'text'), f('Staff', 'text'), f('Email', 'token'), f('Mobile', 'token')] };
const TRACE_HEADER: Complex = { fields: [f('OrganId', 'token'), f('Timestamp', 'timestamp')] };
const RECEIVER: Complex = { fields: [f('OrganId', 'token'), f('ReceiverType', 'token')] };
const BUSSINESS_DOCUMENT_INFO: Complex = {
  fields: [f('DocumentInfo', 'token'), f('DocumentReceiver', 'token'), f('ReceiverList', RECEIVER, { wrap: 'Receiver' })],
};
const REPLACEMENT_INFO: Complex = { fields: [f('DocumentId', 'token'), f('OrganIdList', 'token', { wrap: 'OrganId' })] };
const BUSSINESS: Complex = {
  fields: [
    f('DocumentId', 'token'),
    f('BussinessDocType', 'count'),
    f('BussinessDocReason', 'text'),
    f('Paper', 'count'),
    f('ReplacementInfoList', REPLACEMENT_INFO, { wrap: 'ReplacementInfo' }),
    f('BussinessDocumentInfo', BUSSINESS_DOCUMENT_INFO),
    f('StaffInfo', STAFF_INFO),
  ],
};
export const TRACE_HEADER_LIST: Complex = { fields: [f('TraceHeader', TRACE_HEADER, { repeat: true }), f('Bussiness', BUSSINESS)] };
const MANIFEST_REFERENCE: Complex = {
  fields: [f('ContentId', 'token'), f('ContentType', 'token'), f('Description', 'text'), f('AttachmentName', 'text')],
};
export const MANIFEST: Complex = { fields: [f('Reference', MANIFEST_REFERENCE, { repeat: true })], attrs: { version: 'version' } };
export const ATTACHMENT: Complex = {
  fields: [
    f('ContentId', 'token'),
    f('AttachmentName', 'text'),
    f('ContentType', 'token'),
    f('Description', 'text'),
    f('ContentTransferEncoded', 'base64'),
  ],
};
/** MessageHeader of a status packet. */
export const STATUS_HEADER: Complex = {
  fields: [
    f('From', ORGANIZATION),
    f('ResponseFor', RESPONSE_FOR),
    f('StaffInfo', STAFF_INFO),
    f('StatusCode', 'token'),
    f('Description', 'text'),
    f('Timestamp', 'timestamp'),
  ],
};

/** Top level of a model: model key → element path and the table below it (a repeated top level: `repeat`). */
export type TopLevel = Record<string, { path: string; type: Complex; repeat?: boolean }>;

export const DOCUMENT_TOP: TopLevel = {
  MessageHeader: { path: 'edXMLHeader/MessageHeader', type: MESSAGE_HEADER },
  TraceHeaderList: { path: 'edXMLHeader/TraceHeaderList', type: TRACE_HEADER_LIST },
  Manifest: { path: 'edXMLBody/edXMLManifest', type: MANIFEST },
  Attachments: { path: 'AttachmentEncoded/Attachment', type: ATTACHMENT, repeat: true },
};

// ---------------------------------------------------------------------------------------------------------------
// Issues

/** One problem, located by element path (e.g. `edXMLHeader/MessageHeader/To[2]/OrganId`). */
export interface EdxmlIssue {
  path: string;
  vi: string;
  en: string;
}

/** The model could not be read or built: every problem, each naming its element. */
export class EdxmlValidationError extends KysoError {
  constructor(readonly issues: EdxmlIssue[]) {
    const shown = issues.slice(0, 8);
    const more = issues.length - shown.length;
    const vi = shown.map((i) => `${i.path}: ${i.vi}`).join('; ') + (more > 0 ? `; và ${more} lỗi khác` : '');
    const en = shown.map((i) => `${i.path}: ${i.en}`).join('; ') + (more > 0 ? `; and ${more} more` : '');
    super('EDXML_INVALID', `Gói tin edXML không hợp lệ: ${vi}`, `Invalid edXML packet: ${en}`);
    this.name = 'EdxmlValidationError';
  }
}

/** A model whose fields all sit in one element (a status packet's MessageHeader). */
export interface FlatTop {
  prefix: string;
  type: Complex;
}
const isFlat = (t: TopLevel | FlatTop): t is FlatTop => typeof (t as FlatTop).prefix === 'string';

/** Element path of a model path (as zod reports it), walking the tables. */
export function elementPath(top: TopLevel | FlatTop, path: ReadonlyArray<PropertyKey>): string {
  let out: string;
  let spec: Complex | undefined;
  let i = 0;
  if (isFlat(top)) {
    if (path.length === 0) return top.prefix;
    out = top.prefix;
    spec = top.type;
  } else {
    const t = top[String(path[0])];
    if (!t) return ['edXML', ...path.map(String)].join('/');
    out = t.path;
    spec = t.type;
    i = 1;
    if (t.repeat && typeof path[1] === 'number') {
      out += `[${path[1] + 1}]`;
      i = 2;
    }
  }
  for (; i < path.length; i++) {
    const seg = path[i];
    const field: Field | undefined = spec?.fields.find((x) => x.key === seg);
    if (!field) {
      const attr = spec?.attrs?.[String(seg)];
      out += attr ? `/@${attr}` : typeof seg === 'number' ? `[${seg + 1}]` : `/${String(seg)}`;
      spec = undefined;
      continue;
    }
    out += `/${field.el}`;
    if ((field.repeat || field.wrap) && typeof path[i + 1] === 'number') {
      const n = (path[i + 1] as number) + 1;
      out += field.wrap ? `/${field.wrap}[${n}]` : `[${n}]`;
      i++;
    }
    spec = typeof field.type === 'string' ? undefined : field.type;
  }
  return out;
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v instanceof Date ? v.toISOString() : String(v));

/** Vietnamese and English text of a zod issue. */
function issueText(issue: z.core.$ZodIssue, input: unknown): { vi: string; en: string } {
  const v = valueAt(input, issue.path);
  switch (issue.code) {
    case 'custom':
      return { vi: issue.message, en: String((issue.params as { en?: unknown } | undefined)?.en ?? issue.message) };
    case 'invalid_type':
      return v === undefined
        ? { vi: 'thiếu phần tử bắt buộc (hoặc để trống)', en: 'required element is missing (or empty)' }
        : { vi: `kiểu không hợp lệ (cần ${issue.expected})`, en: `wrong type (expected ${issue.expected})` };
    case 'invalid_value': {
      const allowed = issue.values.map((x) => show(x)).join(', ');
      return { vi: `giá trị không hợp lệ ${show(v)} (cho phép: ${allowed})`, en: `invalid value ${show(v)} (allowed: ${allowed})` };
    }
    case 'too_small':
      return { vi: `cần ít nhất ${issue.minimum} phần tử`, en: `at least ${issue.minimum} element(s) required` };
    case 'unrecognized_keys':
      return { vi: `trường không được hỗ trợ: ${issue.keys.join(', ')}`, en: `unsupported field(s): ${issue.keys.join(', ')}` };
    default:
      return { vi: issue.message, en: issue.message };
  }
}

/** Validates `input` against `schema`; throws EdxmlValidationError (after `earlier` issues) if anything is wrong. */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  top: TopLevel | FlatTop,
  earlier: EdxmlIssue[] = [],
): z.infer<S> {
  const r = schema.safeParse(input);
  const issues = [...earlier];
  const seen = new Set(issues.map((i) => i.path));
  if (!r.success) {
    for (const issue of r.error.issues) {
      const path = elementPath(top, issue.path);
      if (seen.has(path)) continue; // the reader already said what is wrong there
      seen.add(path);
      issues.push({ path, ...issueText(issue, input) });
    }
  }
  if (issues.length) throw new EdxmlValidationError(issues);
  return r.data as z.infer<S>;
}

// ---------------------------------------------------------------------------------------------------------------
// DOM helpers

export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;

export const isElement = (n: Node): n is Element => n.nodeType === ELEMENT;

export function childElements(el: Element): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) if (isElement(c)) out.push(c);
  return out;
}

/** Non-white-space character data directly inside `el` (a container must have none). */
export function strayText(el: Element): string | undefined {
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if ((c.nodeType === TEXT || c.nodeType === CDATA) && /[^ \t\r\n]/.test(c.nodeValue ?? '')) return c.nodeValue!.trim();
  }
  return undefined;
}

/** Character data of a leaf element (text and CDATA; comments and processing instructions skipped). */
export function leafText(el: Element): { text: string; child?: Element } {
  let text = '';
  let child: Element | undefined;
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === TEXT || c.nodeType === CDATA) text += c.nodeValue ?? '';
    else if (isElement(c)) child ??= c;
  }
  return { text, child };
}

/** Trims XML white space only (space, tab, CR, LF). */
export const xmlTrim = (s: string): string => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
