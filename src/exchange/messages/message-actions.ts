// What an agency or an operator does to a message, with its audit entry in the same transaction: the recipient
// acknowledges a pulled message; an operator replays a dead-lettered one once its cause is fixed.
import { KysoError } from '../../errors.ts';
import type { Database } from '../../store/database.ts';
import { appendAudit, appendAuditInTx } from '../audit/audit-log.ts';
import type { DeliveryQueues } from '../queue/delivery-queue.ts';
import { acknowledgeMessage, type Message } from './messages.ts';

/** The recipient confirms it has the message; audited the first time only. */
export async function acknowledge(db: Database, m: Message, actor: string): Promise<Message> {
  const acked = await db.transaction(async (tx) => {
    const r = await acknowledgeMessage(tx, m.id);
    if (r && !m.acknowledgedAt) {
      await appendAuditInTx(tx, { actor, action: 'message.acknowledged', subject: m.id, documentSha256: m.packageSha256, details: { agency: m.toAgency } });
    }
    return r;
  });
  if (!acked) throw new KysoError('CASE_STATE', 'Gói tin bị từ chối, không thể xác nhận', 'A rejected message cannot be acknowledged');
  return acked;
}

/** Queues a dead-lettered message again (status back to received); false when it is not dead-lettered. */
export function replayDeadLetter(queues: DeliveryQueues, db: Database, messageId: string, actor: string): Promise<boolean> {
  return queues.replayDead(messageId, async (d) => {
    await db.query(`UPDATE messages SET status = 'received', status_reason = NULL, updated_at = now() WHERE id = $1 AND status = 'dead'`, [d.messageId]);
    await appendAudit(db, { actor, action: 'delivery.replayed', subject: d.messageId, details: { agency: d.agencyId, previousReason: d.reason } });
  });
}
