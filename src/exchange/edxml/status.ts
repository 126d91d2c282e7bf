// Status packets (gói tin trạng thái, edxml-exchange.md §3, §7): the same envelope with a header only —
// MessageHeader {From, ResponseFor, StaffInfo, StatusCode, Description, Timestamp}; the signer appends ds:Signature
// to edXMLHeader after it. 01 or 03 is due the same day as receipt; 02 carries the reason in Description.
import type { Document } from '@xmldom/xmldom';
import { KysoError } from '../../errors.ts';
import type { XmlLimits } from '../../xml/safe-parser.ts';
import { createEdxmlSkeleton, serializeEdxml, type BuildOptions } from './build.ts';
import {
  STATUS_CODES,
  StatusPacketSchema,
  type EdxmlPackage,
  type Organization,
  type ResponseFor,
  type StaffInfo,
  type StatusCode,
  type StatusPacket,
} from './model.ts';
import { parseEdxml, type ParseEdxmlOptions } from './parse.ts';
import { STATUS_HEADER, validate } from './wire.ts';

export { STATUS_CODES, type StatusCode, type StatusPacket } from './model.ts';

const TOP = { prefix: 'edXMLHeader/MessageHeader', type: STATUS_HEADER } as const;

/** Vietnamese and English label of a status code, e.g. 03 → "Đã tiếp nhận". */
export const statusLabel = (code: StatusCode): { vi: string; en: string } => ({ vi: STATUS_CODES[code].vi, en: STATUS_CODES[code].en });

/** Validates a status packet model; throws EDXML_INVALID naming each offending element. */
export function validateStatusPacket(status: StatusPacket): StatusPacket {
  return validate(StatusPacketSchema, status, TOP);
}

/** The ResponseFor block answering a received document package. */
export function responseForPackage(pkg: EdxmlPackage): ResponseFor {
  const h = pkg.MessageHeader;
  return {
    OrganId: h.From.OrganId,
    Code: h.Code.CodeNotation ? `${h.Code.CodeNumber}/${h.Code.CodeNotation}` : h.Code.CodeNumber,
    PromulgationDate: h.PromulgationInfo.PromulgationDate,
    DocumentId: h.DocumentId,
  };
}

export interface StatusPacketArgs {
  /** The agency reporting the status (the recipient; the sender for 13). */
  from: Organization;
  /** The document the status is about: its ResponseFor block, or the received package itself. */
  responseFor: ResponseFor | EdxmlPackage;
  /** The clerk or officer. */
  staff?: StaffInfo;
  code: StatusCode;
  /** Free text; for 02 the reason for rejecting (required). */
  description?: string;
  /** When; whole seconds on the wire, Vietnam time. */
  at: Date;
}

/** Assembles and validates a status packet model. */
export function statusPacket(a: StatusPacketArgs): StatusPacket {
  const responseFor = 'MessageHeader' in a.responseFor ? responseForPackage(a.responseFor) : a.responseFor;
  const s: StatusPacket = { From: a.from, ResponseFor: responseFor, StatusCode: a.code, Timestamp: a.at };
  if (a.staff) s.StaffInfo = a.staff;
  if (a.description !== undefined) s.Description = a.description;
  return validateStatusPacket(s);
}

/** Builds the DOM of a status packet (validated first). */
export function buildStatusDocument(status: StatusPacket, opts: BuildOptions = {}): Document {
  const s = validateStatusPacket(status);
  const { doc, writer, root, envelope, header } = createEdxmlSkeleton(opts);
  writer.complex(header, 'MessageHeader', 3, STATUS_HEADER, s);
  writer.close(header, 2);
  writer.close(envelope, 1);
  writer.close(root, 0);
  return doc;
}

/** Builds a status packet as XML text. */
export function buildStatusXml(status: StatusPacket, opts: BuildOptions = {}): string {
  return serializeEdxml(buildStatusDocument(status, opts));
}

/** Parses a status packet (safe parser for text/bytes); EDXML_INVALID if it is a document package or invalid. */
export function parseStatusPacket(input: string | Uint8Array | Document, opts: ParseEdxmlOptions & { limits?: XmlLimits } = {}): StatusPacket {
  const r = parseEdxml(input, opts);
  if (r.kind !== 'status') {
    throw new KysoError('EDXML_INVALID', 'Đây là gói tin văn bản, không phải gói tin trạng thái', 'This is a document package, not a status packet');
  }
  return r.status;
}
