// The archive renewal building blocks the service's repeatable job calls (src/exchange/archive/retimestamp.ts):
// which stored documents are due, and renewing one with a real TSA.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { archiveStateOf, documentsDueForRenewal, renewArchiveTimestamp, type StoredArchiveDocument } from '../../src/exchange/archive/retimestamp.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import { verifyPdf } from '../../src/verify/pdf/pdf-validator.ts';
import { makeAltPki } from '../helpers/ltv-pki.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { signerOf } from '../helpers/signing.ts';

const pki = useTestPkiServer();
const extra: TestPkiServer[] = [];
afterAll(async () => Promise.all(extra.map((s) => s.close())));
const input = readFileSync(join(import.meta.dirname, '../fixtures/pdf/pdflib-table.pdf'));

describe('documentsDueForRenewal', () => {
  const now = new Date('2027-01-01T00:00:00Z');
  const ts = (tsaNotAfter: string, digests: ('SHA-1' | 'SHA-256')[] = ['SHA-256']) => ({ newestTimestamp: { time: new Date('2026-01-01T00:00:00Z'), tsaNotAfter: new Date(tsaNotAfter), digests } });
  const docs: StoredArchiveDocument[] = [
    { id: 'far', state: ts('2031-01-01T00:00:00Z') },
    { id: 'soon', state: ts('2027-03-01T00:00:00Z') },
    { id: 'never-archived', state: {} },
    { id: 'sha1', state: ts('2031-01-01T00:00:00Z', ['SHA-1']) },
  ];

  it('picks documents without an archive timestamp, with a TSA certificate expiring within the horizon, or a weak digest — most urgent first', () => {
    const due = documentsDueForRenewal(docs, { horizonDays: 90 }, now);
    expect(due.map((d) => [d.id, d.reason])).toEqual([
      ['never-archived', 'NO_ARCHIVE_TIMESTAMP'],
      ['sha1', 'ALGORITHM_WEAKENING'],
      ['soon', 'TSA_CERTIFICATE_EXPIRING'],
    ]);
    expect(documentsDueForRenewal(docs, { horizonDays: 30 }, now).map((d) => d.id)).toEqual(['never-archived', 'sha1']);
  });

  it('a configured sunset for SHA-256 brings its renewal forward', () => {
    const due = documentsDueForRenewal([docs[0]!], { horizonDays: 30, digestSunset: { 'SHA-256': new Date('2027-01-15T00:00:00Z') } }, now);
    expect(due).toMatchObject([{ id: 'far', reason: 'ALGORITHM_WEAKENING' }]);
  });
});

describe('renewArchiveTimestamp', () => {
  it('renews a B-LTA file whose TSA certificate expires within the horizon, with an audit event; leaves it alone otherwise', async () => {
    const alt = makeAltPki({ tsa: { notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2027-06-30T23:59:59Z'), commonName: 'Test TSA ngắn hạn' } });
    const short = await startTestPkiServer({ dir: alt.dir });
    extra.push(short);
    const { bytes: lta } = await signDocument(input, { signer: signerOf('person-vpcp'), level: 'B-LTA', tsaUrl: `${short.url}/tsa`, network: { rewrite: short.rewrite } });
    const state = archiveStateOf(lta);
    expect(state.newestTimestamp?.tsaNotAfter.toISOString()).toBe('2027-06-30T23:59:59.000Z');
    expect(state.newestTimestamp?.digests).toContain('SHA-256');

    const tsa = { url: `${pki.server.url}/tsa`, network: { rewrite: pki.server.rewrite } };
    const now = new Date('2027-05-01T00:00:00Z');
    const notDue = await renewArchiveTimestamp(lta, { tsa, horizonDays: 30, now });
    expect(notDue.renewed).toBe(false);
    expect(notDue.bytes).toBe(lta);

    const r = await renewArchiveTimestamp(lta, { tsa, horizonDays: 90, now, documentId: 'answer-42' });
    expect(r.renewed).toBe(true);
    expect(r.reason).toBe('TSA_CERTIFICATE_EXPIRING');
    expect(r.state.newestTimestamp?.tsaNotAfter.toISOString()).toBe('2029-12-31T23:59:59.000Z');
    expect(r.audit).toMatchObject({ actor: 'system:archive-renewal', action: 'document.archive_renewed', subject: 'answer-42', details: { reason: 'TSA_CERTIFICATE_EXPIRING', previousTsaNotAfter: '2027-06-30T23:59:59.000Z' } });
    expect(Buffer.from(r.bytes).subarray(0, lta.length).equals(lta)).toBe(true);

    pki.server.setOffline(true);
    short.setOffline(true);
    const v = await verifyPdf(r.bytes, { offline: true, at: new Date('2028-06-01T00:00:00+07:00') });
    expect(v.indication).toBe('TOTAL_PASSED');
  });
});
