// kyso XML signature benchmark: npm run bench:xml  (node --import tsx bench/xml.ts [--quick])
//
// A 20 KB edXML package (the sample envelope of test/fixtures/xml with 24 trace hops, 24 recipients and a
// base64 attachment) signed with the test PKI's person-vpcp RSA-2048 key, XAdES-BASELINE-B, signature under
// edXMLHeader. Measured on this machine, in one run:
//   kyso sign     signXml(text, { signer, parent: edXMLHeader })                 in-process, ≥ 200 runs
//   kyso verify   verifyXml(bytes) of the kyso-signed package: structure, c14n,   in-process, ≥ 200 runs
//                 digests, signature, chain, OCSP (cached after the first run)
//   xmlsec1 sign  `xmlsec1 --sign --privkey-pem key,cert,ca --output o.xml t.xml`    one process per file
//   xmlsec1 verify `xmlsec1 --verify --trusted-pem root --untrusted-pem ca --id-attr:Id <xades>:SignedProperties`
// Targets (issue 4): kyso sign and verify ≤ 5 ms median each. Results: Markdown on stdout and
// bench/out/xml-results.json. The PKI server lives in this process, so child processes are always async.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, sign as nodeSign, createPrivateKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Document } from '@xmldom/xmldom';
import { KeyObjectSigner } from '../src/pki/keys/key-object-signer.ts';
import { startTestPkiServer } from '../src/pki/responders/test-pki-server.ts';
import { signXml } from '../src/signing/xml/xades-signer.ts';
import { TrustStore } from '../src/verify/trust-store.ts';
import { verifyXml } from '../src/verify/xml/xml-validator.ts';
import { C14N, canonicalize } from '../src/xml/c14n.ts';
import { parseXmlSafely } from '../src/xml/safe-parser.ts';

const QUICK = process.argv.includes('--quick');
const ROOT = resolve(import.meta.dirname, '..');
const PKI = join(ROOT, 'certs-test/pki');
const QCVN = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
const N_IN = QUICK ? 100 : 300;
const N_PROC = QUICK ? 15 : 50;

interface Stats {
  n: number;
  median: number;
  p95: number;
  min: number;
}
function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  const mid = s.length >> 1;
  return { n: s.length, median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, p95: q(0.95), min: s[0]! };
}
const f2 = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function run(cmd: string, args: string[]): Promise<{ code: number; out: string; ms: number }> {
  return new Promise((ok, fail) => {
    const t = performance.now();
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', fail);
    p.on('close', (code) => ok({ code: code ?? -1, out, ms: performance.now() - t }));
  });
}

async function timeAsync(n: number, warm: number, f: () => Promise<unknown>): Promise<Stats> {
  for (let i = 0; i < warm; i++) await f();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await f();
    t.push(performance.now() - s);
  }
  return stats(t);
}

function timeSync(n: number, f: () => unknown): Stats {
  for (let i = 0; i < 20; i++) f();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    f();
    t.push(performance.now() - s);
  }
  return stats(t);
}

/** The sample envelope grown to ≈ 20 KB: more trace hops and recipients, a base64 attachment. */
function package20k(): string {
  let xml = readFileSync(join(ROOT, 'test/fixtures/xml/edxml-sample.xml'), 'utf8');
  let hops = '';
  for (let i = 0; i < 24; i++) {
    hops += `\n    <edXML:TraceHeader><edXML:OrganId>000.00.${String(i).padStart(2, '0')}.H41</edXML:OrganId><edXML:Timestamp>2026/03/12 10:${String(15 + i).padStart(2, '0')}:30</edXML:Timestamp></edXML:TraceHeader>`;
  }
  xml = xml.replace('</edXML:TraceHeader>', `</edXML:TraceHeader>${hops}`);
  let places = '';
  for (let i = 0; i < 24; i++) places += `<edXML:Place>Ủy ban nhân dân huyện số ${i + 1}, tỉnh Nghệ An</edXML:Place>`;
  xml = xml.replace('<edXML:ToPlaces>', `<edXML:ToPlaces>${places}`);
  const size = Buffer.byteLength(xml);
  const attachment = randomBytes(Math.floor(((20 * 1024 - size) * 3) / 4)).toString('base64');
  xml = xml.replace('JVBERi0xLjcK', attachment);
  return xml;
}

const header = (d: Document) => d.getElementsByTagNameNS(QCVN, 'edXMLHeader').item(0);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-bench-xml-'));
  const pkg = package20k();
  const server = await startTestPkiServer();
  const opts = { trust: TrustStore.demo(), network: { rewrite: server.rewrite } };
  const signer = KeyObjectSigner.fromPkcs12File(join(PKI, 'person-vpcp.p12'), 'kyso-test');

  try {
    // Correctness first: a fast route that produces an unverifiable signature is reported as such.
    const signed = await signXml(pkg, { signer, parent: header });
    const signedBytes = Buffer.from(signed);
    const signedFile = join(dir, 'kyso-signed.xml');
    writeFileSync(signedFile, signed);
    const kysoVerdict = (await verifyXml(signedBytes, opts)).indication;
    const xmlsecVerifyArgs = ['--verify', '--trusted-pem', join(PKI, 'root-ca.pem'), '--untrusted-pem', join(PKI, 'ca.pem'), '--id-attr:Id', 'http://uri.etsi.org/01903/v1.3.2#:SignedProperties', signedFile];
    const xmlsecOnKyso = await run('xmlsec1', xmlsecVerifyArgs);
    const template =
      '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
      '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI=""><Transforms>' +
      '<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>' +
      '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>';
    const templateFile = join(dir, 'template.xml');
    writeFileSync(templateFile, pkg.replace('</edXML:edXMLHeader>', `${template}</edXML:edXMLHeader>`));
    const xmlsecOut = join(dir, 'xmlsec-signed.xml');
    const xmlsecSignArgs = ['--sign', '--privkey-pem', `${join(PKI, 'person-vpcp.key.pem')},${join(PKI, 'person-vpcp.pem')},${join(PKI, 'ca.pem')}`, '--output', xmlsecOut, templateFile];
    const first = await run('xmlsec1', xmlsecSignArgs);
    if (first.code !== 0) throw new Error(`xmlsec1 --sign failed: ${first.out}`);
    const kysoOnXmlsec = (await verifyXml(readFileSync(xmlsecOut), opts)).indication;

    // kyso, in-process.
    const kysoSign = await timeAsync(N_IN, 30, () => signXml(pkg, { signer, parent: header }));
    const kysoVerify = await timeAsync(N_IN, 30, () => verifyXml(signedBytes, opts));
    const signedBT = Buffer.from(await signXml(pkg, { signer, parent: header, level: 'B-T', tsaUrl: `${server.url}/tsa`, network: { rewrite: server.rewrite } }));
    const kysoVerifyBT = await timeAsync(N_IN, 30, () => verifyXml(signedBT, opts));

    // Floors and phases.
    const key = createPrivateKey(readFileSync(join(PKI, 'person-vpcp.key.pem')));
    const rsa = timeSync(N_IN, () => nodeSign('sha256', Buffer.from('x'.repeat(1024)), key));
    const parse = timeSync(N_IN, () => parseXmlSafely(signed));
    const doc = parseXmlSafely(signed);
    const sigEl = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature').item(0)!;
    const c14n = timeSync(N_IN, () => createHash('sha256').update(canonicalize(doc, { method: C14N.exclusive, comments: false, exclude: sigEl })).digest());

    // xmlsec1, one process per file.
    const procSign: number[] = [];
    const procVerify: number[] = [];
    for (let i = 0; i < N_PROC; i++) {
      const s = await run('xmlsec1', xmlsecSignArgs);
      if (s.code !== 0) throw new Error(`xmlsec1 --sign: ${s.out}`);
      procSign.push(s.ms);
      const v = await run('xmlsec1', xmlsecVerifyArgs);
      if (v.code !== 0) throw new Error(`xmlsec1 --verify: ${v.out}`);
      procVerify.push(v.ms);
    }
    const xmlsecSign = stats(procSign);
    const xmlsecVerify = stats(procVerify);

    const ok = (b: boolean) => (b ? '✅' : '❌');
    const rows: [string, string, Stats, string][] = [
      ['kyso sign (XAdES-B-B, RSA-2048)', 'in-process', kysoSign, `${ok(kysoSign.median <= 5)} target ≤ 5 ms; output: xmlsec1 ${xmlsecOnKyso.code === 0 ? 'OK' : 'FAILED'}, kyso ${kysoVerdict}`],
      ['kyso verify (XAdES-B-B, chain + cached OCSP)', 'in-process', kysoVerify, `${ok(kysoVerify.median <= 5)} target ≤ 5 ms; ${kysoVerdict}`],
      ['kyso verify (XAdES-B-T, + timestamp)', 'in-process', kysoVerifyBT, 'for information'],
      ['xmlsec1 --sign (XMLDSig enveloped)', 'process per file', xmlsecSign, `output verified by kyso: ${kysoOnXmlsec}`],
      ['xmlsec1 --verify (kyso file, trusted root)', 'process per file', xmlsecVerify, xmlsecOnKyso.code === 0 ? 'OK' : 'FAILED'],
      ['floor: RSA-2048 sign (node:crypto)', 'in-process', rsa, ''],
      ['phase: parseXmlSafely (signed package)', 'in-process', parse, ''],
      ['phase: exc-c14n + SHA-256 of the package', 'in-process', c14n, ''],
    ];
    const lines = [
      `XML signatures, 20 KB edXML package (${Buffer.byteLength(pkg)} bytes unsigned, ${signedBytes.length} signed), RSA-2048; ${cpus().length} × ${cpus()[0]?.model.trim()}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}, Node ${process.version}${QUICK ? ', --quick' : ''}`,
      '',
      '| Route | Where | Runs | Median ms | p95 ms | Min ms | Note |',
      '|---|---|---:|---:|---:|---:|---|',
      ...rows.map(([name, where, s, note]) => `| ${name} | ${where} | ${s.n} | ${f2(s.median)} | ${f2(s.p95)} | ${f2(s.min)} | ${note} |`),
    ];
    console.log(lines.join('\n'));
    mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
    writeFileSync(
      join(ROOT, 'bench/out/xml-results.json'),
      JSON.stringify({ at: new Date().toISOString(), packageBytes: Buffer.byteLength(pkg), quick: QUICK, rows: rows.map(([name, where, s, note]) => ({ name, where, ...s, note })) }, null, 2),
    );
  } finally {
    await server.close();
  }
}

await main();
