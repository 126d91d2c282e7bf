// A small Cloud Signature Consortium API v2 service holding certs-test keys, for tests and demos only (the keys
// are committed). It does what a relying client must be able to rely on: OAuth2 client credentials
// (POST /oauth2/token), bearer tokens checked on every call, credentials/list and /info (with the certificate
// chain), credentials/authorize issuing a Signature Activation Data (SAD) for numSignatures signatures — bound to
// the given hashes when any, checked against the credential's PIN/OTP, expiring after sadLifetimeSeconds, each
// signature using it up — and signatures/signHash for RSA PKCS#1 v1.5, RSA-PSS (signAlgoParams) and ECDSA.
//
// Node's crypto signs only messages, never a given digest, so the default back end signs hashes with
// `openssl pkeyutl` (native OpenSSL, the key file of the identity); a credential can bring its own back end
// (e.g. a PKCS#11 token), as a production service keeps its keys in an HSM.
import { execFile } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCscSignAlgorithm } from '../src/pki/keys/csc-algorithms.ts';
import { digestFromOid } from '../src/pki/native-crypto.ts';
import { SignatureOid } from '../src/pki/oids.ts';
import { digestLength, nodeDigestName, type SignatureAlgorithm } from '../src/pki/signer.ts';
import { testPki, type TestIdentityId } from './index.ts';

/** Signs a digest computed by the client. */
export interface DigestSigner {
  signDigest(digest: Uint8Array, algorithm: SignatureAlgorithm): Promise<Uint8Array>;
}

export interface CscTestCredential {
  id: string;
  identity: TestIdentityId;
  /** PIN credentials/authorize must present (authData id "PIN"); none = implicit authorisation. */
  pin?: string;
  /** Client ids allowed to use it; default every client. */
  clients?: string[];
  /** Back end that holds the key; default openssl pkeyutl with the identity's key file. */
  signer?: DigestSigner;
  /** Signatures one SAD may authorise (CSC "multisign"); default 10. */
  multisign?: number;
}

export interface CscServerOptions {
  clients?: { id: string; secret: string }[];
  credentials?: CscTestCredential[];
  /** SAD lifetime; default 300 s. 0 makes every SAD expire at once (to test the client's error). */
  sadLifetimeSeconds?: number;
  /** Access token lifetime; default 3600 s. */
  tokenLifetimeSeconds?: number;
  port?: number;
  /** Default 127.0.0.1: the test keys are public, never listen beyond loopback by default. */
  host?: string;
}

export interface CscTestServer {
  /** Origin, e.g. http://127.0.0.1:43121 (OAuth2 at /oauth2/token). */
  origin: string;
  /** CSC API base: `${origin}/csc/v2`. */
  url: string;
  /** Signatures made so far, per credential. */
  signatures: Map<string, number>;
  close(): Promise<void>;
}

export const CSC_TEST_CLIENT = { id: 'kyso-test', secret: 'kyso-test-secret' } as const;
export const CSC_TEST_PIN = '123456';

/** Seals with a PIN (explicit authorisation), as agencies would configure them. */
export const DEFAULT_CSC_CREDENTIALS: CscTestCredential[] = [
  { id: 'vpcp-seal', identity: 'vpcp-seal', pin: CSC_TEST_PIN },
  { id: 'ministry-seal', identity: 'ministry-seal', pin: CSC_TEST_PIN },
  { id: 'person-vpcp', identity: 'person-vpcp', pin: CSC_TEST_PIN },
];

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

const bad = (description: string, error = 'invalid_request'): ApiError => new ApiError(400, error, description);

function opensslSigner(keyFile: string): DigestSigner {
  return {
    signDigest(digest, a) {
      const md = nodeDigestName(a.digest);
      const args = ['pkeyutl', '-sign', '-inkey', keyFile, '-pkeyopt', `digest:${md}`];
      if (a.scheme === 'RSASSA-PSS') args.push('-pkeyopt', 'rsa_padding_mode:pss', '-pkeyopt', `rsa_mgf1_md:${md}`, '-pkeyopt', `rsa_pss_saltlen:${digestLength(a.digest)}`);
      return new Promise((resolve, reject) => {
        const child = execFile('openssl', args, { encoding: 'buffer', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`openssl pkeyutl failed: ${stderr.toString()}`));
          else resolve(new Uint8Array(stdout));
        });
        child.stdin!.end(Buffer.from(digest));
      });
    },
  };
}

interface Sad {
  credential: string;
  client: string;
  remaining: number;
  hashes?: Set<string>;
  expiresAt: number;
}

function equalSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1 << 20) throw bad('request body over 1 MiB');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startCscServer(opts: CscServerOptions = {}): Promise<CscTestServer> {
  const clients = opts.clients ?? [CSC_TEST_CLIENT];
  const credentials = new Map((opts.credentials ?? DEFAULT_CSC_CREDENTIALS).map((c) => [c.id, c]));
  const backends = new Map<string, DigestSigner>();
  const sadLifetime = (opts.sadLifetimeSeconds ?? 300) * 1000;
  const tokenLifetime = opts.tokenLifetimeSeconds ?? 3600;
  const tokens = new Map<string, { client: string; expiresAt: number }>();
  const sads = new Map<string, Sad>();
  const signatures = new Map<string, number>();

  const backend = (c: CscTestCredential): DigestSigner => {
    let b = backends.get(c.id);
    if (!b) backends.set(c.id, (b = c.signer ?? opensslSigner(testPki.identity(c.identity).key)));
    return b;
  };

  const credentialFor = (client: string, id: unknown): CscTestCredential => {
    if (typeof id !== 'string') throw bad('Missing string parameter credentialID');
    const c = credentials.get(id);
    if (!c || (c.clients && !c.clients.includes(client))) throw bad(`Invalid parameter credentialID: ${id}`);
    return c;
  };

  const certificatesOf = (c: CscTestCredential): string[] => {
    const ident = testPki.identity(c.identity);
    const pems = [readFileSync(ident.cert, 'utf8'), readFileSync(testPki.caPem, 'utf8'), readFileSync(testPki.rootPem, 'utf8')];
    return pems.map((p) => p.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''));
  };

  const bearer = (req: IncomingMessage): string => {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const t = m && tokens.get(m[1]!);
    if (!t) throw new ApiError(401, 'invalid_token', 'Missing or unknown bearer access token');
    if (Date.now() >= t.expiresAt) throw new ApiError(401, 'invalid_token', 'The access token expired');
    return t.client;
  };

  const token = (req: IncomingMessage, body: string): unknown => {
    const form = (req.headers['content-type'] ?? '').includes('json') ? new URLSearchParams(Object.entries(JSON.parse(body || '{}'))) : new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') throw bad('Only grant_type=client_credentials is supported', 'unsupported_grant_type');
    const client = clients.find((c) => c.id === form.get('client_id'));
    if (!client || !equalSecret(client.secret, form.get('client_secret') ?? '')) throw new ApiError(401, 'invalid_client', 'Unknown client or wrong client secret');
    const value = randomBytes(24).toString('base64url');
    tokens.set(value, { client: client.id, expiresAt: Date.now() + tokenLifetime * 1000 });
    return { access_token: value, token_type: 'Bearer', expires_in: tokenLifetime };
  };

  const keyAlgos = (c: CscTestCredential): string[] =>
    testPki.identity(c.identity).keyType === 'EC'
      ? [SignatureOid.ecPublicKey, SignatureOid.ecdsaWithSHA256, SignatureOid.ecdsaWithSHA384, SignatureOid.ecdsaWithSHA512]
      : [SignatureOid.rsaEncryption, SignatureOid.sha256WithRSA, SignatureOid.sha384WithRSA, SignatureOid.sha512WithRSA, SignatureOid.rsassaPss];

  const api: Record<string, (client: string, b: Record<string, unknown>) => Promise<unknown> | unknown> = {
    'credentials/list': (client) => ({ credentialIDs: [...credentials.values()].filter((c) => !c.clients || c.clients.includes(client)).map((c) => c.id) }),

    'credentials/info': (client, b) => {
      const c = credentialFor(client, b.credentialID);
      const ident = testPki.identity(c.identity);
      const certs = certificatesOf(c);
      const which = b.certificates ?? 'single';
      return {
        key: { status: 'enabled', algo: keyAlgos(c), len: ident.keyType === 'EC' ? 256 : 2048 },
        cert: { status: 'valid', certificates: which === 'none' ? [] : which === 'chain' ? certs : certs.slice(0, 1) },
        auth: c.pin ? { mode: 'explicit', objects: [{ type: 'Password', id: 'PIN', format: 'N', label: 'PIN' }] } : { mode: 'implicit' },
        SCAL: '2',
        multisign: c.multisign ?? 10,
      };
    },

    'credentials/authorize': (client, b) => {
      const c = credentialFor(client, b.credentialID);
      const n = b.numSignatures;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw bad('Invalid parameter numSignatures');
      if (n > (c.multisign ?? 10)) throw bad(`numSignatures ${n} is over the credential's multisign ${c.multisign ?? 10}`);
      if (c.pin) {
        const data = Array.isArray(b.authData) ? (b.authData as { id?: string; value?: string }[]) : [];
        const pin = data.find((x) => x.id === 'PIN')?.value;
        if (pin === undefined) throw bad('Missing authData PIN');
        if (!equalSecret(c.pin, String(pin))) throw bad('The PIN is invalid', 'invalid_pin');
      }
      let hashes: Set<string> | undefined;
      if (b.hashes !== undefined) {
        if (!Array.isArray(b.hashes) || b.hashes.length !== n) throw bad('hashes must list numSignatures hashes');
        hashes = new Set(b.hashes as string[]);
      }
      const sad = randomBytes(24).toString('base64url');
      sads.set(sad, { credential: c.id, client, remaining: n, hashes, expiresAt: Date.now() + sadLifetime });
      return { SAD: sad, expiresIn: Math.floor(sadLifetime / 1000) };
    },

    'signatures/signHash': async (client, b) => {
      const c = credentialFor(client, b.credentialID);
      const sad = typeof b.SAD === 'string' ? sads.get(b.SAD) : undefined;
      if (!sad || sad.client !== client || sad.credential !== c.id) throw bad('Invalid SAD: unknown, already used, or for another credential');
      if (Date.now() >= sad.expiresAt) {
        sads.delete(b.SAD as string);
        throw bad('SAD expired');
      }
      const hashes = b.hashes;
      if (!Array.isArray(hashes) || hashes.length === 0 || !hashes.every((h) => typeof h === 'string')) throw bad('Missing parameter hashes');
      if (hashes.length > sad.remaining) throw bad(`The SAD authorises ${sad.remaining} more signature(s), not ${hashes.length}`);
      if (sad.hashes && !hashes.every((h) => sad.hashes!.has(h))) throw bad('A hash was not authorised by this SAD');
      const alg = typeof b.signAlgo === 'string' ? parseCscSignAlgorithm(b.signAlgo, b.hashAlgorithmOID as string | undefined, b.signAlgoParams as string | undefined) : undefined;
      if (!alg) throw bad(`Unsupported signAlgo/hashAlgorithmOID/signAlgoParams: ${String(b.signAlgo)}`);
      const isEc = testPki.identity(c.identity).keyType === 'EC';
      if ((alg.scheme === 'ECDSA') !== isEc) throw bad(`signAlgo ${String(b.signAlgo)} does not fit the credential's key`);
      const digests = (hashes as string[]).map((h) => Buffer.from(h, 'base64'));
      if (digests.some((d) => d.length !== digestLength(alg.digest))) throw bad(`A hash is not a ${alg.digest} value`);
      if (b.hashAlgorithmOID !== undefined && digestFromOid(String(b.hashAlgorithmOID)) !== alg.digest) throw bad('hashAlgorithmOID does not match signAlgo');
      // Used up before signing: a failed or repeated request never gets a second use of the same SAD.
      sad.remaining -= hashes.length;
      if (sad.remaining === 0) sads.delete(b.SAD as string);
      const out = await Promise.all(digests.map((d) => backend(c).signDigest(d, alg)));
      signatures.set(c.id, (signatures.get(c.id) ?? 0) + out.length);
      return { signatures: out.map((s) => Buffer.from(s).toString('base64')) };
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let status = 200;
    let answer: unknown;
    try {
      if (req.method !== 'POST') throw new ApiError(405, 'invalid_request', 'CSC methods are POST');
      const body = await readBody(req);
      if (path === '/oauth2/token') answer = token(req, body);
      else if (path === '/csc/v2/info') {
        answer = { specs: '2.0.0.2', name: 'kyso test CSC service', region: 'VN', lang: 'vi', authType: ['oauth2client'], oauth2: origin, methods: ['oauth2/token', ...Object.keys(api)] };
      } else {
        const method = path.startsWith('/csc/v2/') ? path.slice('/csc/v2/'.length) : '';
        const fn = api[method];
        if (!fn) throw new ApiError(404, 'invalid_request', `Unknown method ${path}`);
        const client = bearer(req);
        let json: unknown;
        try {
          json = JSON.parse(body || '{}');
        } catch {
          throw bad('The body is not JSON');
        }
        if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('The body is not a JSON object');
        answer = await fn(client, json as Record<string, unknown>);
      }
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, 'server_error', (e as Error).message);
      status = err.status;
      answer = { error: err.error, error_description: err.description };
    }
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(answer));
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => ok());
  });
  const { address, port } = server.address() as AddressInfo;
  const origin = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  return {
    origin,
    url: `${origin}/csc/v2`,
    signatures,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
