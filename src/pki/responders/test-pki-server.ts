// Local HTTP server for the test PKI: OCSP, fresh CRLs, CA certificates (caIssuers) and RFC 3161 timestamps,
// on plain node:http. Tests start it on an ephemeral port; `kyso pki serve` runs it on 8400 for manual testing.
//
//   POST /ocsp              application/ocsp-request     → application/ocsp-response
//   GET  /ocsp/<base64>     RFC 6960 Appendix A.1 GET form
//   GET  /crl/<ca>.crl      fresh CRL (thisUpdate now, nextUpdate +7 d) → application/pkix-crl
//   GET  /certs/<ca>.cer    CA certificate DER → application/pkix-cert
//   POST /tsa               application/timestamp-query  → application/timestamp-reply

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Certificate } from 'pkijs';
import { certificateDer, parseCertificate } from '../certificate.ts';
import type { RevokedEntry } from '../revocation.ts';
import { issueCrl } from './crl-issuer.ts';
import { respondOcsp, type OcspIssuer } from './ocsp-responder.ts';
import { readTestPkiManifest, type TestPkiIdentity, type TestPkiManifest } from './test-pki-manifest.ts';
import { respondTimestamp } from './tsa.ts';

export const DEFAULT_TEST_PKI_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../certs-test/pki');

export type PkiService = 'ocsp' | 'crl' | 'certs' | 'tsa';

export interface TestPkiServerOptions {
  /** Default 127.0.0.1: the test PKI's private keys are committed, so never listen beyond loopback by default. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Directory holding index.json and the PEM files; default certs-test/pki. */
  dir?: string;
  /** Clock for OCSP/CRL/TSA times; default Date.now. */
  now?: () => Date;
}

export interface TestPkiServer {
  /** e.g. http://127.0.0.1:41111 (no trailing slash). */
  url: string;
  host: string;
  port: number;
  /** Ready-made PkiNetworkOptions.rewrite: the certificates' baked-in base URL → this server. */
  rewrite: Record<string, string>;
  /** Requests received per service (including those refused while offline). */
  requests: Record<PkiService | 'total', number>;
  /** true/false for every service, or per service: offline services drop the connection without answering. */
  setOffline(offline: boolean | Partial<Record<PkiService, boolean>>): void;
  close(): Promise<void>;
}

interface LoadedCa {
  identity: TestPkiIdentity;
  cert: Certificate;
  der: Uint8Array;
  key: KeyObject;
  revoked: RevokedEntry[];
}

interface PkiMaterial {
  manifest: TestPkiManifest;
  cas: Map<string, LoadedCa>;
  ocspIssuers: OcspIssuer[];
  tsa: { cert: Certificate; key: KeyObject };
}

function loadMaterial(dir: string): PkiMaterial {
  const manifest = readTestPkiManifest(dir);
  const byId = new Map(manifest.identities.map((i) => [i.id, i]));
  const certOf = (i: TestPkiIdentity): Certificate => parseCertificate(readFileSync(join(dir, i.cert), 'utf8'));
  const keyOf = (i: TestPkiIdentity): KeyObject => createPrivateKey(readFileSync(join(dir, i.key)));

  const cas = new Map<string, LoadedCa>();
  const ocspIssuers: OcspIssuer[] = [];
  for (const ca of manifest.identities.filter((i) => i.caName)) {
    const cert = certOf(ca);
    const key = keyOf(ca);
    const revoked = manifest.identities
      .filter((i) => i.issuer === ca.id && i.revocation)
      .map((i) => ({ serialHex: i.serialHex, revocationTime: new Date(i.revocation!.time), reason: i.revocation!.reason }));
    cas.set(ca.caName!, { identity: ca, cert, der: certificateDer(cert), key, revoked });
    const responder = ca.ocspResponder ? byId.get(ca.ocspResponder) : undefined;
    ocspIssuers.push({
      issuerCert: cert,
      signerCert: responder ? certOf(responder) : cert,
      signerKey: responder ? keyOf(responder) : key,
      revocationOf: (serialHex) => revoked.find((r) => r.serialHex === serialHex),
    });
  }
  const tsaIdentity = manifest.identities.find((i) => i.role === 'tsa');
  if (!tsaIdentity) throw new Error(`test PKI in ${dir} has no TSA identity`);
  return { manifest, cas, ocspIssuers, tsa: { cert: certOf(tsaIdentity), key: keyOf(tsaIdentity) } };
}

const MAX_BODY = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolveBody(new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, contentType: string, body: Uint8Array | string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

function serviceOf(path: string): PkiService | undefined {
  if (path === '/ocsp' || path.startsWith('/ocsp/')) return 'ocsp';
  if (path.startsWith('/crl/')) return 'crl';
  if (path.startsWith('/certs/')) return 'certs';
  if (path === '/tsa') return 'tsa';
  return undefined;
}

export async function startTestPkiServer(opts: TestPkiServerOptions = {}): Promise<TestPkiServer> {
  const material = loadMaterial(opts.dir ?? DEFAULT_TEST_PKI_DIR);
  const now = opts.now ?? (() => new Date());
  const offline: Record<PkiService, boolean> = { ocsp: false, crl: false, certs: false, tsa: false };
  const requests: TestPkiServer['requests'] = { ocsp: 0, crl: 0, certs: 0, tsa: 0, total: 0 };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const service = serviceOf(path);
    requests.total++;
    if (!service) return send(res, 404, 'text/plain', 'not found\n');
    requests[service]++;
    if (offline[service]) {
      // Simulates an unreachable endpoint: the client sees a transport error, not an HTTP status.
      req.socket.destroy();
      return;
    }

    if (service === 'ocsp') {
      let der: Uint8Array;
      if (req.method === 'POST') der = await readBody(req);
      else if (req.method === 'GET') der = new Uint8Array(Buffer.from(decodeURIComponent(path.slice('/ocsp/'.length)), 'base64'));
      else return send(res, 405, 'text/plain', 'method not allowed\n');
      return send(res, 200, 'application/ocsp-response', respondOcsp(der, { issuers: material.ocspIssuers, now }));
    }
    if (service === 'tsa') {
      if (req.method !== 'POST') return send(res, 405, 'text/plain', 'method not allowed\n');
      const der = await readBody(req);
      return send(res, 200, 'application/timestamp-reply', respondTimestamp(der, { tsaCert: material.tsa.cert, tsaKey: material.tsa.key, now }));
    }
    const m = /^\/(crl|certs)\/([a-z0-9-]+)\.(crl|cer)$/.exec(path);
    const ca = m ? material.cas.get(m[2]!) : undefined;
    if (!m || !ca || (m[1] === 'crl') !== (m[3] === 'crl')) return send(res, 404, 'text/plain', 'not found\n');
    if (service === 'certs') return send(res, 200, 'application/pkix-cert', ca.der);
    return send(res, 200, 'application/pkix-crl', issueCrl({ issuerCert: ca.cert, issuerKey: ca.key, revoked: ca.revoked, thisUpdate: now() }));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => ok());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  return {
    url,
    host: address.address,
    port: address.port,
    rewrite: { [material.manifest.baseUrl]: url },
    requests,
    setOffline(value) {
      for (const s of Object.keys(offline) as PkiService[]) {
        if (typeof value === 'boolean') offline[s] = value;
        else if (value[s] !== undefined) offline[s] = value[s]!;
      }
    },
    close: () =>
      new Promise<void>((ok, fail) => {
        server.closeAllConnections();
        server.close((err) => (err ? fail(err) : ok()));
      }),
  };
}

/**
 * Entry point for `kyso pki serve [--port 8400] [--host 127.0.0.1]`: starts the server and prints its base
 * URL plus the KYSO_PKI_URL_REWRITE value to use when the port differs from the certificates' baked-in one.
 */
export async function serveTestPki(opts: TestPkiServerOptions = {}): Promise<TestPkiServer> {
  const server = await startTestPkiServer({ ...opts, port: opts.port ?? 8400 });
  const baked = Object.keys(server.rewrite)[0]!;
  console.log(server.url);
  if (baked !== server.url) console.log(`KYSO_PKI_URL_REWRITE=${baked}=${server.url}`);
  return server;
}
