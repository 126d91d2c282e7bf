// Model → edXML DOM and text, always in the QCVN 102:2016 namespace with the `edXML:` prefix, laid out as the
// domain example (edxml-exchange.md §6):
//
//   <edXML xmlns="…QCVN_102_2016" xmlns:edXML="…QCVN_102_2016">
//    <edXML:edXMLEnvelope>
//     <edXML:edXMLHeader> MessageHeader, TraceHeaderList, [ds:Signature, appended later by the signer] </…>
//     <edXML:edXMLBody><edXML:edXMLManifest>Reference*</…></…>
//    </edXML:edXMLEnvelope>
//    <edXML:AttachmentEncoded>Attachment*</…>
//   </edXML>
//
// No Id attributes: the package signature is enveloped (Reference URI=""). Output is deterministic: the same
// model gives the same bytes (element order from the tables in wire.ts, fixed indentation, nothing time-based).
import { DOMImplementation, XMLSerializer, type Document, type Element, type Node } from '@xmldom/xmldom';
import { formatDateDMY, formatDateYMD, formatEdxmlTimestamp } from './identifiers.ts';
import { EDXML_NS, EdxmlPackageSchema, type EdxmlPackage, type EdxmlPackageInput } from './model.ts';
import { locateEdxml } from './parse.ts';
import { ATTACHMENT, DOCUMENT_TOP, MANIFEST, MESSAGE_HEADER, TRACE_HEADER_LIST, validate, type Complex, type Leaf } from './wire.ts';

export const EDXML_PREFIX = 'edXML';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

export interface BuildOptions {
  /** Indentation per level; `false` for no white space between elements. Default one space, as the example. */
  indent?: string | false;
}

/** Writes elements in the packet namespace, with optional indentation. */
export class EdxmlWriter {
  private readonly indent: string | false;
  constructor(
    readonly doc: Document,
    opts: BuildOptions = {},
  ) {
    this.indent = opts.indent === undefined ? ' ' : opts.indent;
  }

  /** Appends `<edXML:name>` to `parent` at nesting `level` (root = 0) and returns it. */
  element(parent: Node, name: string, level: number): Element {
    const el = this.doc.createElementNS(EDXML_NS, `${EDXML_PREFIX}:${name}`);
    if (this.indent !== false) parent.appendChild(this.doc.createTextNode(`\n${this.indent.repeat(level)}`));
    parent.appendChild(el);
    return el;
  }

  /** Closes an element that got element children: the newline before its end tag. */
  close(el: Element, level: number): void {
    if (this.indent !== false && el.lastChild && el.lastChild.nodeType === 1) el.appendChild(this.doc.createTextNode(`\n${this.indent.repeat(level)}`));
  }

  leaf(parent: Element, name: string, level: number, text: string): Element {
    const el = this.element(parent, name, level);
    if (text !== '') el.appendChild(this.doc.createTextNode(text));
    return el;
  }

  /** Writes a validated model value by its table. */
  complex(parent: Element, name: string, level: number, spec: Complex, value: Record<string, unknown>): Element {
    const el = this.element(parent, name, level);
    for (const [key, attr] of Object.entries(spec.attrs ?? {})) {
      const v = value[key];
      if (v !== undefined) el.setAttribute(attr, String(v));
    }
    for (const field of spec.fields) {
      const v = value[field.key];
      if (v === undefined) continue;
      const items = field.repeat || field.wrap ? (v as unknown[]) : [v];
      let target = el;
      let lvl = level + 1;
      if (field.wrap) {
        target = this.element(el, field.el, lvl);
        lvl++;
      }
      const itemName = field.wrap ?? field.el;
      for (const item of items) {
        if (typeof field.type === 'string') this.leaf(target, itemName, lvl, formatLeaf(field.type, item));
        else this.complex(target, itemName, lvl, field.type, item as Record<string, unknown>);
      }
      if (field.wrap) this.close(target, level + 1);
    }
    this.close(el, level);
    return el;
  }
}

function formatLeaf(type: Leaf, v: unknown): string {
  switch (type) {
    case 'text':
    case 'token':
      return v as string;
    case 'dmy':
      return formatDateDMY(v as string);
    case 'ymd':
      return formatDateYMD(v as string);
    case 'timestamp':
      return formatEdxmlTimestamp(v as Date);
    case 'count':
      return String(v);
    case 'base64': {
      const b = v as Uint8Array;
      return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
    }
  }
}

/**
 * A new document with the `edXML` root (both namespace declarations of the example), its `edXMLEnvelope` and an
 * empty `edXMLHeader`. Used for packages and status packets alike.
 */
export function createEdxmlSkeleton(opts: BuildOptions = {}): { doc: Document; writer: EdxmlWriter; root: Element; envelope: Element; header: Element } {
  const doc = new DOMImplementation().createDocument(EDXML_NS, 'edXML', null);
  const root = doc.documentElement!;
  root.setAttributeNS(XMLNS_NS, 'xmlns', EDXML_NS);
  root.setAttributeNS(XMLNS_NS, `xmlns:${EDXML_PREFIX}`, EDXML_NS);
  const writer = new EdxmlWriter(doc, opts);
  const envelope = writer.element(root, 'edXMLEnvelope', 1);
  const header = writer.element(envelope, 'edXMLHeader', 2);
  return { doc, writer, root, envelope, header };
}

/** Validates a package model; throws EDXML_INVALID naming each offending element. */
export function validateEdxmlPackage(pkg: EdxmlPackageInput): EdxmlPackage {
  return validate(EdxmlPackageSchema, pkg, DOCUMENT_TOP);
}

/** Builds the DOM of a document package. Validates first (EDXML_INVALID, naming the element). */
export function buildEdxmlDocument(input: EdxmlPackageInput, opts: BuildOptions = {}): Document {
  const pkg = validateEdxmlPackage(input);
  const { doc, writer, root, envelope, header } = createEdxmlSkeleton(opts);
  writer.complex(header, 'MessageHeader', 3, MESSAGE_HEADER, pkg.MessageHeader);
  writer.complex(header, 'TraceHeaderList', 3, TRACE_HEADER_LIST, pkg.TraceHeaderList);
  writer.close(header, 2);
  const body = writer.element(envelope, 'edXMLBody', 2);
  writer.complex(body, 'edXMLManifest', 3, MANIFEST, pkg.Manifest);
  writer.close(body, 2);
  writer.close(envelope, 1);
  if (pkg.Attachments.length) {
    const enc = writer.element(root, 'AttachmentEncoded', 1);
    for (const a of pkg.Attachments) writer.complex(enc, 'Attachment', 2, ATTACHMENT, a);
    writer.close(enc, 1);
  }
  writer.close(root, 0);
  return doc;
}

/** Builds a document package as XML text (UTF-8 declaration, then the document). */
export function buildEdxml(input: EdxmlPackageInput, opts: BuildOptions = {}): string {
  return serializeEdxml(buildEdxmlDocument(input, opts));
}

/**
 * The `edXMLHeader` element of a packet (document or status), found by the same position-anchored navigation as
 * parsing: the XAdES signer appends ds:Signature to it, after MessageHeader and TraceHeaderList.
 */
export function edxmlHeaderElement(doc: Document): Element {
  return locateEdxml(doc.documentElement!).header;
}

/**
 * Serializes a packet DOM (built here, possibly signed since) with an XML declaration. Characters an XML parser
 * would not give back as written are emitted as character references: CR (line-end normalization would turn it
 * into LF) and, because @xmldom normalizes them too, NEL (U+0085) and LINE SEPARATOR (U+2028). They can only occur
 * in character data and attribute values, so the replacement is exact — for documents without CDATA sections,
 * comments or processing instructions holding them, which packets built here never have.
 */
export function serializeEdxml(doc: Document): string {
  const xml = new XMLSerializer()
    .serializeToString(doc)
    .replace(/^<\?xml[^>]*\?>\s*/, '')
    .replace(/[\r\u0085\u2028]/g, (c) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
}
