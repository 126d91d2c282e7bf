// What a received message does to the PAKN case it concerns, inside the receipt transaction:
//   - a status packet on the routing package: 02 sends the case back to VPCP, 03/04/05 move it forward, 05 is a
//     progress update; 14 on a recall (type 1) takes the case back, 14 on an update/replace (type 2/3) makes the
//     new package the case's routing document; 01, 06 and 16 are recorded only;
//   - a reply (a package from the lead agency whose ResponseFor names the routing document) answers the case.
// An event the case's state does not allow (a late 03 after 05, a second reply after publication) is audited
// as ignored rather than failing the receipt: the message itself is valid and stays stored.
import type { Queryable } from '../../store/database.ts';
import { nextProgressUpdateDue } from '../deadlines/deadlines.ts';
import type { Agency } from '../agencies/agency-registry.ts';
import { appendAuditInTx } from '../audit/audit-log.ts';
import type { EdxmlPackage, StatusPacket } from '../edxml/model.ts';
import type { ExchangeContext } from '../exchange-context.ts';
import type { Message } from '../messages/messages.ts';
import { eventForStatus, nextState, type CaseEvent } from '../pakn/case-states.ts';
import { applyCaseEvent, caseByRoutingDocument, getCase, updateCaseFields, type PaknCase } from '../pakn/cases.ts';

async function tryEvent(tx: Queryable, c: PaknCase, event: CaseEvent, actor: string, extra: Parameters<typeof applyCaseEvent>[2] extends infer T ? Omit<T & object, 'event' | 'actor'> : never): Promise<PaknCase | undefined> {
  if (!nextState(c.state, event)) {
    await appendAuditInTx(tx, { actor, action: 'case.event_ignored', subject: c.code, details: { event, state: c.state } });
    return undefined;
  }
  return applyCaseEvent(tx, c, { event, actor, ...extra });
}

export async function applyStatusToCase(
  tx: Queryable,
  ctx: ExchangeContext,
  a: { status: StatusPacket; original: Message; actor: string; at: Date },
): Promise<void> {
  const { status, original, actor, at } = a;
  if (!original.caseId) return;
  const c = await getCase(tx, original.caseId, true);
  if (!c) return;
  const code = status.StatusCode;
  const details = { statusCode: code, messageId: original.id, ...(status.Description ? { description: status.Description.slice(0, 500) } : {}) };

  if (original.purpose === 'routing' && original.businessType === 0) {
    // Only statuses on the case's current routing document count (not on a replaced one).
    if (c.routingDocumentId !== original.documentId) return;
    if (code === '13') {
      await updateCaseFields(tx, c, 'recall_requested', actor, {}, details);
      return;
    }
    if (code === '14') {
      // The agency agreed to give the routing document back (answering a 13): the case returns to VPCP.
      await tryEvent(tx, c, 'recalled', actor, { reason: status.Description ?? null, set: { routing_message_id: null, routing_document_id: null, lead_agency: null }, details });
      return;
    }
    const event = eventForStatus(code);
    if (event) {
      const set: Record<string, unknown> = {};
      if (code === '05') {
        set.last_progress_at = at;
        set.next_progress_due_at = nextProgressUpdateDue({ dueAt: c.answerDueAt, lastProgressUpdateAt: at }, ctx.deadlines);
      }
      if (code === '02') {
        set.routing_message_id = null;
        set.routing_document_id = null;
        set.lead_agency = null;
      }
      await tryEvent(tx, c, event, actor, { reason: status.Description ?? null, set, details });
    } else {
      await updateCaseFields(tx, c, `status_${code}`, actor, {}, details);
    }
    return;
  }
  if (original.purpose === 'routing' && code === '14' && original.businessType === 1) {
    await tryEvent(tx, c, 'recalled', actor, { set: { routing_message_id: null, routing_document_id: null, lead_agency: null }, details });
    return;
  }
  if (original.purpose === 'routing' && code === '14' && (original.businessType === 2 || original.businessType === 3)) {
    await updateCaseFields(tx, c, original.businessType === 2 ? 'updated' : 'replaced', actor, { routing_message_id: original.id, routing_document_id: original.documentId }, details);
    return;
  }
  if (original.purpose === 'reply' && code === '02') {
    // VPCP returns the answer: it does not match the question (QĐ 31/2021 Art. 46).
    await tryEvent(tx, c, 'return', actor, { reason: status.Description ?? null, set: { reply_message_id: null }, details });
    return;
  }
  await updateCaseFields(tx, c, `status_${code}`, actor, {}, details);
}

export async function linkDocumentToCase(
  tx: Queryable,
  a: { pkg: EdxmlPackage; messages: Message[]; sender: Agency; actor: string; caseId?: string },
): Promise<void> {
  if (a.caseId) return; // the service's own case step: the caller applies its transition
  // A reply answers the routing document of a case routed to the sender.
  for (const rf of a.pkg.MessageHeader.ResponseFor) {
    const c = await caseByRoutingDocument(tx, rf.DocumentId, true);
    if (!c || c.leadAgency !== a.sender.id) continue;
    const msg = a.messages.find((m) => m.toAgency === rf.OrganId) ?? a.messages[0]!;
    await tx.query(`UPDATE messages SET case_id = $2, purpose = 'reply' WHERE id = ANY($1::uuid[])`, [a.messages.map((m) => m.id), c.id]);
    await tryEvent(tx, c, 'reply', a.actor, { set: { reply_message_id: msg.id }, documentSha256: msg.packageSha256, details: { messageId: msg.id, documentId: a.pkg.MessageHeader.DocumentId } });
    return;
  }
}
