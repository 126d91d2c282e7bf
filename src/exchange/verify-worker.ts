// A validation worker thread: receives PDFs and XML from verify-pool.ts, answers reports (or, for exchange
// packages, the whole PackageVerification: report and signed model) or the typed error. Trust
// anchors, policy and network options arrive once, in workerData; OCSP/CRL caches live per worker.
import { parentPort, workerData } from 'node:worker_threads';
import { isKysoError } from '../errors.ts';
import type { PkiNetworkOptions } from '../pki/pki-http.ts';
import { verifyXmlPackage, type PackageVerification } from './edxml/verify-package.ts';
import { verifyDocument } from './verify-document.ts';
import type { ValidationPolicy } from '../verify/policy.ts';
import { TrustStore, type TrustMode } from '../verify/trust-store.ts';
import type { WorkerReply, WorkerTask } from './verify-pool.ts';

export interface WorkerSetup {
  anchors: Uint8Array[];
  trustMode: TrustMode;
  policy: ValidationPolicy;
  network?: PkiNetworkOptions;
}

const setup = workerData as WorkerSetup;
const trust = TrustStore.fromCertificates(setup.anchors, setup.trustMode);
const port = parentPort!;

port.on('message', async (task: WorkerTask) => {
  let reply: WorkerReply;
  try {
    const opts = {
      trust,
      policy: setup.policy,
      network: setup.network,
      at: task.at === undefined ? undefined : new Date(task.at),
      offline: task.offline,
      name: task.name,
    };
    reply = task.kind === 'package' ? { id: task.id, verification: await verifyXmlPackage(task.bytes, opts) } : { id: task.id, report: await verifyDocument(task.bytes, opts) };
  } catch (e) {
    reply = isKysoError(e)
      ? { id: task.id, kyso: { code: e.code, vi: e.vi, en: e.en } }
      : { id: task.id, failure: (e as Error)?.stack ?? String(e) };
  }
  port.postMessage(reply, 'verification' in reply ? attachmentBuffers(reply.verification) : []);
});

/**
 * The attachments' decoded bytes go back to the serving thread moved, not copied (a package's PDFs are most of
 * its size). Only buffers that own their whole ArrayBuffer: a small Buffer may sit in Node's shared pool, and
 * moving the pool would take it from every other Buffer in it.
 */
function attachmentBuffers(v: PackageVerification): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of v.package?.Attachments ?? []) {
    const b = a.ContentTransferEncoded;
    if (b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) out.add(b.buffer);
  }
  return [...out];
}
port.postMessage({ ready: true } satisfies WorkerReply);
