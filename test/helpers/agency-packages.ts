// Packages an agency builds and signs itself, then POSTs to /api/v1/messages — as a ministry's own document
// system does — with the knobs the fault tests need: any sender in From, any recipients in To (registered or
// not), and any certs-test identity's key for the XAdES signature (the sender's seal, or someone else's).
import { testPki, type TestIdentityId } from '../../certs-test/index.ts';
import { buildEdxml } from '../../src/exchange/edxml/build.ts';
import { formatDocumentId, vietnamDate } from '../../src/exchange/edxml/identifiers.ts';
import type { EdxmlPackageInput } from '../../src/exchange/edxml/model.ts';
import type { TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { signXmlDocument } from '../../src/signing/xml/sign-xml-document.ts';
import { signerOf } from './signing.ts';

export interface AgencyPackageSpec {
  from: string;
  to: readonly string[];
  /** Whose key signs the package (default: the seal of the certs-test identity whose agencyCode is `from`). */
  signWith?: TestIdentityId;
  /** Số văn bản; makes the DocumentId unique per test. */
  number: number;
  symbol?: string;
  subject?: string;
  at?: Date;
}

const SEAL_OF: Record<string, TestIdentityId> = Object.fromEntries(
  testPki.identities.filter((i) => i.id.endsWith('-seal') && i.agencyCode).map((i) => [i.agencyCode!, i.id as TestIdentityId]),
);

/** A document package (type 0, no attachments), signed XAdES B-T in edXMLHeader. Returns its bytes and DocumentId. */
export async function agencyPackage(pki: TestPkiServer, s: AgencyPackageSpec): Promise<{ bytes: Uint8Array; documentId: string }> {
  const at = s.at ?? new Date();
  const symbol = s.symbol ?? 'BTP-VP';
  const documentId = formatDocumentId({ organId: s.from, date: at, code: `${s.number}/${symbol}` });
  const input: EdxmlPackageInput = {
    MessageHeader: {
      From: { OrganId: s.from, OrganName: `Cơ quan ${s.from}` },
      To: s.to.map((id) => ({ OrganId: id, OrganName: `Cơ quan ${id}` })),
      DocumentId: documentId,
      Code: { CodeNumber: String(s.number), CodeNotation: symbol },
      PromulgationInfo: { Place: 'Hà Nội', PromulgationDate: vietnamDate(at) },
      DocumentType: { Type: '1', TypeDetail: '0', TypeName: 'Công văn' },
      Subject: s.subject ?? `V/v phối hợp xử lý văn bản số ${s.number}`,
      Content: 'Đề nghị quý cơ quan phối hợp xử lý.',
      ResponseFor: [],
    },
    TraceHeaderList: {
      TraceHeader: [{ OrganId: s.from, Timestamp: at }],
      Bussiness: { DocumentId: documentId, BussinessDocType: 0, Paper: 0 },
    },
    Manifest: { version: '1.0', Reference: [] },
    Attachments: [],
  };
  const seal = s.signWith ?? SEAL_OF[s.from];
  if (!seal) throw new Error(`no certs-test seal for ${s.from}; pass signWith`);
  const signed = await signXmlDocument(Buffer.from(buildEdxml(input), 'utf8'), {
    signer: signerOf(seal),
    level: 'B-T',
    tsaUrl: `${pki.url}/tsa`,
    network: { rewrite: pki.rewrite },
    now: at,
  });
  return { bytes: new Uint8Array(signed.bytes), documentId };
}

/** The same bytes with one character of the signed Subject changed (still well-formed XML). */
export function tamperSubject(bytes: Uint8Array): Uint8Array {
  const xml = Buffer.from(bytes).toString('utf8');
  const m = /<([A-Za-z0-9]+:)?Subject>V\/v/.exec(xml);
  if (!m) throw new Error('no Subject to tamper with');
  const i = m.index + m[0].length - 3; // the "V" of "V/v"
  return new Uint8Array(Buffer.from(`${xml.slice(0, i)}W${xml.slice(i + 1)}`, 'utf8'));
}
