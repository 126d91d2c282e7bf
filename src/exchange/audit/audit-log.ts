// The audit trail of the exchange (issue 5): an append-only, hash-chained log of every event, sealed from time
// to time by an RFC 3161 timestamp over the chain head. This module is the public face; each part lives in
// its own file:
//   audit-entry.ts   the entry, its canonical bytes and hash
//   audit-append.ts  appending under the head row lock
//   audit-verify.ts  verifying the chain (edits, deletions, insertions, reordering)
//   audit-seal.ts    sealing with a TSA and verifying the seals
export { GENESIS_HASH, canonicalEntryBytes, entryHash, type AuditEntry, type AuditEvent } from './audit-entry.ts';
export { appendAudit, appendAuditInTx, appendAuditManyInTx } from './audit-append.ts';
export { verifyAuditChain, type AuditMessage, type ChainVerification } from './audit-verify.ts';
export { sealAuditLog, verifyAuditSeals, type AuditSeal, type SealOptions, type SealVerification } from './audit-seal.ts';
export type { JsonObject, JsonValue } from './canonical-json.ts';
