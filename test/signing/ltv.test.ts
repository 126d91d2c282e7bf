// PAdES B-LT and B-LTA signing against the real test PKI server (OCSP, CRL, TSA): what lands in the /DSS, that
// the file then verifies with the network gone, and that each step is an incremental update.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { decodeStream } from '../../src/pdf/filters.ts';
import { PdfStream, PdfString } from '../../src/pdf/objects.ts';
import { PdfReader } from '../../src/pdf/reader.ts';
import { pemToDer } from '../../src/pki/certificate.ts';
import { addValidationData } from '../../src/signing/pdf/ltv.ts';
import { signDocument } from '../../src/signing/pdf/sign-document.ts';
import { verifyPdf } from '../../src/verify/pdf/pdf-validator.ts';
import { useTestPkiServer } from '../helpers/pki-server.ts';
import { signerOf } from '../helpers/signing.ts';

const pki = useTestPkiServer();
const input = readFileSync(join(import.meta.dirname, '../fixtures/pdf/pdflib-table.pdf'));
const der = (id: Parameters<typeof testPki.identity>[0]) => Buffer.from(pemToDer(testPki.identity(id).certPem()));

function dssOf(bytes: Uint8Array) {
  const r = PdfReader.open(bytes);
  const dss = r.dict(r.catalog.get('DSS'))!;
  const items = (k: string) => ((r.resolve(dss?.get(k)) as unknown[]) ?? []).map((x) => Buffer.from(decodeStream(r.resolve(x as never) as PdfStream)));
  const vri = r.dict(dss?.get('VRI'));
  return { reader: r, dss, certs: items('Certs'), ocsps: items('OCSPs'), crls: items('CRLs'), vriKeys: vri ? [...vri.map.keys()] : [] };
}

function contentsOf(bytes: Uint8Array, field: string): Uint8Array {
  const r = PdfReader.open(bytes);
  const acro = r.dict(r.catalog.get('AcroForm'))!;
  for (const f of r.resolve(acro.get('Fields')) as unknown[]) {
    const d = r.dict(f as never)!;
    if ((r.resolve(d.get('T')) as PdfString).toText() === field) return (r.dict(d.get('V'))!.get('Contents') as PdfString).bytes;
  }
  throw new Error(`no field ${field}`);
}

const sign = (level: 'B-LT' | 'B-LTA', id: Parameters<typeof signerOf>[0] = 'person-vpcp') =>
  signDocument(input, { signer: signerOf(id), level, tsaUrl: `${pki.server.url}/tsa`, network: { rewrite: pki.server.rewrite }, revocationCheck: 'require' });

describe('PAdES B-LT', () => {
  it('stores the chains, OCSP answers and a /VRI entry keyed by SHA-1 of /Contents, and verifies with the network gone', async () => {
    const { bytes } = await sign('B-LT');
    const dss = dssOf(bytes);
    // Signer, CA and root; the TSA of the signature timestamp; the delegated OCSP responder.
    for (const id of ['person-vpcp', 'ca', 'root-ca', 'tsa', 'ocsp'] as const) expect(dss.certs.some((c) => c.equals(der(id)))).toBe(true);
    // person-vpcp, the TSA (both via the delegated responder) and the CA (answered by the root).
    expect(dss.ocsps.length).toBeGreaterThanOrEqual(2);
    const sigKey = createHash('sha1').update(contentsOf(bytes, 'Signature1')).digest('hex').toUpperCase();
    expect(dss.vriKeys).toEqual([sigKey]);
    expect(dss.reader.catalog.has('Extensions')).toBe(true);

    pki.server.setOffline(true);
    const before = pki.server.requests.total;
    const r = await verifyPdf(bytes, { offline: true });
    expect(pki.server.requests.total).toBe(before);
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[0]).toMatchObject({ level: 'B-LT', format: 'PAdES-BASELINE-LT' });
  });

  it('the signature is untouched: the signed revision is a prefix of the B-LT file', async () => {
    const lt = await sign('B-LT');
    const r = await verifyPdf(lt.bytes, { offline: true });
    const [, , c, d] = r.signatures[0].byteRange!;
    expect(c + d).toBeLessThan(lt.bytes.length);
    expect(r.signatures[0].modifications.level).toBe('ALLOWED');
    expect(r.document.revisions).toBe(3); // original, signature, /DSS
  });

  it('falls back to CRLs when the OCSP responder is down', async () => {
    pki.server.setOffline({ ocsp: true });
    const { bytes } = await signDocument(input, {
      signer: signerOf('vpcp-seal'),
      level: 'B-LT',
      tsaUrl: `${pki.server.url}/tsa`,
      network: { rewrite: pki.server.rewrite },
      revocationCheck: 'prefer',
    });
    const dss = dssOf(bytes);
    expect(dss.ocsps).toHaveLength(0);
    expect(dss.crls.length).toBeGreaterThanOrEqual(2); // ca.crl for the signer and the TSA, root.crl for the CA
    pki.server.setOffline(true);
    const r = await verifyPdf(bytes, { offline: true });
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[0].level).toBe('B-LT');
  });

  it('refuses with a NETWORK error when no status can be obtained, rather than writing a B-T file called B-LT', async () => {
    const signed = await signDocument(input, { signer: signerOf('person-vpcp'), level: 'B-T', tsaUrl: `${pki.server.url}/tsa`, network: { rewrite: pki.server.rewrite } });
    pki.server.setOffline({ ocsp: true, crl: true });
    await expect(addValidationData(signed.bytes, { network: { rewrite: pki.server.rewrite } })).rejects.toMatchObject({ code: 'NETWORK' });
  });

  it('adding the same validation data again stores nothing twice', async () => {
    const { bytes } = await sign('B-LT');
    const again = await addValidationData(bytes, { network: { rewrite: pki.server.rewrite } });
    const a = dssOf(bytes);
    const b = dssOf(again);
    expect(b.certs.length).toBe(a.certs.length);
    // New OCSP answers may be added (they are fresher), but each certificate appears once.
    expect(new Set(b.certs.map((c) => c.toString('base64'))).size).toBe(b.certs.length);
  });
});

describe('PAdES B-LTA', () => {
  it('adds a document timestamp over the /DSS and then the TSA data in a further /DSS update', async () => {
    const { bytes } = await sign('B-LTA', 'ministry-seal');
    const r0 = await verifyPdf(bytes, { offline: true });
    expect(r0.signatures.map((s) => s.kind)).toEqual(['signature', 'document-timestamp']);
    expect(r0.document.revisions).toBe(5); // original, signature, /DSS, document timestamp, /DSS
    const dss = dssOf(bytes);
    const tsKey = createHash('sha1').update(contentsOf(bytes, 'DocTimeStamp1')).digest('hex').toUpperCase();
    expect(dss.vriKeys).toContain(tsKey);
    expect(dss.vriKeys).toHaveLength(2);

    pki.server.setOffline(true);
    const r = await verifyPdf(bytes, { offline: true });
    expect(r.indication).toBe('TOTAL_PASSED');
    expect(r.signatures[0]).toMatchObject({ level: 'B-LTA', format: 'PAdES-BASELINE-LTA' });
    expect(r.signatures[1]).toMatchObject({ kind: 'document-timestamp', level: 'B-LT', indication: 'TOTAL_PASSED' });
  });
});
