// XAdES B-LT and B-LTA: signing at those levels, `extendXml` on an existing signature, archive renewal, and
// verification with the network gone — against the real test PKI server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestPkiServer, type TestPkiServer } from '../../src/pki/responders/test-pki-server.ts';
import { extendXml } from '../../src/signing/xml/xades-ltv.ts';
import { signXmlDocument } from '../../src/signing/xml/sign-xml-document.ts';
import { verifyXml } from '../../src/verify/xml/xml-validator.ts';
import type { ValidationReport } from '../../src/verify/report.ts';
import { clearRevocationCache } from '../../src/verify/revocation-validator.ts';
import { clearCrlCache } from '../../src/pki/crl-client.ts';
import { makeAltPki } from '../helpers/ltv-pki.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { signerOf } from '../helpers/signing.ts';

const pki = useTestPkiServer();
const edxml = readFileSync(join(import.meta.dirname, '../fixtures/xml/edxml-sample.xml'));
const extra: TestPkiServer[] = [];
afterAll(async () => Promise.all(extra.map((s) => s.close())));

async function offline(bytes: Uint8Array, at?: Date): Promise<ValidationReport> {
  for (const s of [pki.server, ...extra]) s.setOffline(true);
  clearRevocationCache();
  clearCrlCache();
  try {
    return await verifyXml(bytes, { offline: true, ...(at ? { at } : {}) });
  } finally {
    for (const s of [pki.server, ...extra]) s.setOffline(false);
  }
}

const sign = (level: 'B-B' | 'B-T' | 'B-LT' | 'B-LTA', server: TestPkiServer = pki.server) =>
  signXmlDocument(edxml, { signer: signerOf('vpcp-seal'), level, tsaUrl: `${server.url}/tsa`, network: { rewrite: server.rewrite }, revocationCheck: 'require' });

describe('XAdES B-LT', () => {
  it('carries CertificateValues and RevocationValues and verifies offline at level B-LT', async () => {
    const { bytes } = await sign('B-LT');
    const xml = bytes.toString('utf8');
    expect(xml).toMatch(/<xades:SignatureTimeStamp/);
    expect(xml).toMatch(/<xades:CertificateValues[^>]*><xades:EncapsulatedX509Certificate>/);
    expect(xml).toMatch(/<xades:RevocationValues[^>]*>.*<xades:OCSPValues><xades:EncapsulatedOCSPValue>/s);
    const r = await offline(bytes);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[0]).toMatchObject({ level: 'B-LT', format: 'XAdES-BASELINE-LT' });
  });

  it('a B-B signature extended to B-LT first gets a SignatureTimeStamp and stays valid', async () => {
    const { bytes: bb } = await sign('B-B');
    expect((await offline(bb)).signatures[0].level).toBe('B-B');
    const { bytes, timestampsAdded } = await extendXml(bb, { level: 'B-LT', tsaUrl: `${pki.server.url}/tsa`, network: { rewrite: pki.server.rewrite } });
    expect(timestampsAdded).toBe(1);
    const r = await offline(bytes);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[0].level).toBe('B-LT');
    await expect(extendXml(bb, { level: 'B-LT', network: { rewrite: pki.server.rewrite } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('XAdES B-LTA', () => {
  it('an ArchiveTimeStamp and the TSA data after it; offline TOTAL_PASSED at level B-LTA; tampering with covered data drops it', async () => {
    const { bytes } = await sign('B-LTA');
    const xml = bytes.toString('utf8');
    expect(xml).toMatch(/<xades141:ArchiveTimeStamp[^>]*><ds:CanonicalizationMethod[^>]*\/><xades:EncapsulatedTimeStamp>/);
    expect(xml).toMatch(/<\/xades141:ArchiveTimeStamp><xades141:TimeStampValidationData/);
    const r = await offline(bytes);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[0]).toMatchObject({ level: 'B-LTA', format: 'XAdES-BASELINE-LTA' });

    // A space inside CertificateValues (covered by the archive timestamp, not by the signature).
    const tampered = Buffer.from(xml.replace('<xades:CertificateValues xmlns:xades', '<xades:CertificateValues  data-x="1" xmlns:xades'), 'utf8');
    const t = await offline(tampered);
    expect(t.signatures[0].level).toBe('B-LT');
  });

  it('renewal: a second ArchiveTimeStamp covers the first, whose short-lived TSA then may expire', async () => {
    const alt = makeAltPki({ tsa: { notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2027-06-30T23:59:59Z'), commonName: 'Test TSA ngắn hạn' } });
    const short = await startTestPkiServer({ dir: alt.dir });
    extra.push(short);
    const { bytes: lta } = await sign('B-LTA', short);
    const june2028 = new Date('2028-06-01T00:00:00+07:00');
    const stale = await offline(lta, june2028);
    expect(stale.signatures[0]).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' });

    const renewed = await extendXml(lta, { level: 'B-LTA', tsaUrl: `${pki.server.url}/tsa`, network: { rewrite: pki.server.rewrite } });
    expect(renewed.timestampsAdded).toBe(1);
    expect(renewed.bytes.toString('utf8').match(/<xades141:ArchiveTimeStamp/g)).toHaveLength(2);
    const r = await offline(renewed.bytes, june2028);
    expect(r.signatures[0]).toMatchObject({ indication: 'TOTAL_PASSED', level: 'B-LTA' });
  });
});
