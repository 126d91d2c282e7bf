// Status packets the service signs on an agency's behalf (edxml-exchange.md §3): 01 the moment a valid package
// arrives, 02 with the reason when it does not verify, and 03–06, 14, 16 when the agency's clerk reports
// progress through the API. Built from the stored header summary (no re-parse) and signed with the agency's
// seal (XAdES, B-T when a TSA is configured). The seal's revocation status is checked once and remembered while
// current (seal-status.ts), not asked of OCSP before every packet.
import { signXmlDocument } from '../../signing/xml/sign-xml-document.ts';
import type { Agency } from '../agencies/agency-registry.ts';
import { organizationOf } from '../agencies/agency-registry.ts';
import type { ResponseFor, StaffInfo, StatusCode } from '../edxml/model.ts';
import { buildStatusXml, statusPacket } from '../edxml/status.ts';
import { nowOf, type ExchangeContext } from '../exchange-context.ts';
import type { MessageHeaderSummary } from '../messages/messages.ts';
import { ensureSealUsable } from './seal-status.ts';

export const responseForOf = (h: MessageHeaderSummary): ResponseFor => ({
  OrganId: h.OrganId,
  Code: h.Code,
  PromulgationDate: h.PromulgationDate,
  DocumentId: h.DocumentId,
});

export interface StatusRequest {
  from: Agency;
  about: MessageHeaderSummary;
  code: StatusCode;
  description?: string;
  staff?: StaffInfo;
  /**
   * Add an RFC 3161 signature timestamp (B-T) when a TSA is configured (default true). The automatic receipts
   * (01/02) go without: one per package would double the TSA load and the receipt's time is proven by the
   * hash-chained audit log, which is itself sealed by the TSA.
   */
  timestamp?: boolean;
}

/** Signed status packet bytes; NO_SERVICE_KEY when the service holds no seal key for `from`. */
export async function signedStatusPacket(ctx: ExchangeContext, r: StatusRequest): Promise<Uint8Array> {
  const seal = await ctx.signers.require(r.from.id, 'seal');
  const at = nowOf(ctx);
  const xml = buildStatusXml(
    statusPacket({
      from: organizationOf(r.from),
      responseFor: responseForOf(r.about),
      code: r.code,
      at,
      ...(r.description !== undefined ? { description: r.description } : {}),
      ...(r.staff ? { staff: r.staff } : {}),
    }),
  );
  await ensureSealUsable(seal.signer, { at, ...(ctx.network ? { network: ctx.network } : {}) });
  const signed = await signXmlDocument(Buffer.from(xml, 'utf8'), {
    signer: seal.signer,
    // Revocation was just established by ensureSealUsable; validity and key usage are still checked here.
    revocationCheck: 'off',
    level: ctx.tsaUrl && r.timestamp !== false ? 'B-T' : 'B-B',
    ...(ctx.tsaUrl && r.timestamp !== false ? { tsaUrl: ctx.tsaUrl } : {}),
    ...(ctx.network ? { network: ctx.network } : {}),
    now: at,
  });
  return new Uint8Array(signed.bytes);
}
