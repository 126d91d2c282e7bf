// A real SoftHSM2 token store for one test file (Debian softhsm2 + opensc): a private SOFTHSM2_CONF and token
// directory under a temp dir, tokens initialised with softhsm2-util, certs-test keys and certificates imported
// with pkcs11-tool — exactly the commands the README gives an operator. Child processes are async: the test PKI
// server may run in the same process.
//
//   const hsm = await createSoftHsm([{ label: 'kyso-seal', keys: [{ identity: 'vpcp-seal', id: '01' }] }]);
//   const signer = await Pkcs11Signer.fromReference(hsm.reference('kyso-seal', { key: 'vpcp-seal' }), hsm.env);
//
// SoftHSM reads SOFTHSM2_CONF when the module is initialised, so createSoftHsm also sets it in process.env: one
// SoftHSM store per test process (vitest runs each file in its own fork).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testPki, type TestIdentityId } from '../../certs-test/index.ts';

const run = promisify(execFile);

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmKeySpec {
  identity: TestIdentityId;
  /** CKA_ID in hex. */
  id: string;
  /** CKA_LABEL; default the identity id. */
  label?: string;
  /** Import the certificate under the same CKA_ID (default true). */
  certificate?: boolean;
}

export interface SoftHsmTokenSpec {
  label: string;
  /** User PIN; default 123456. */
  pin?: string;
  keys: SoftHsmKeySpec[];
  /** Also store the issuing CA certificate on the token (for chain-from-token); default false. */
  caCertificate?: boolean;
}

export interface SoftHsmToken {
  label: string;
  pin: string;
  soPin: string;
  /** Slot ID softhsm2-util reassigned the token to. */
  slot: bigint;
  /** Name of the environment variable holding this token's PIN in `env`. */
  pinEnv: string;
}

export interface SoftHsm {
  dir: string;
  conf: string;
  module: string;
  tokens: SoftHsmToken[];
  /** Environment for kyso processes: SOFTHSM2_CONF plus one PIN variable per token. */
  env: NodeJS.ProcessEnv;
  /** A `--pkcs11` reference string for a key on a token (PIN from the token's variable unless fields override). */
  reference(token: string, fields: Record<string, string>): string;
  remove(): void;
}

async function tool(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const r = await run(cmd, args, { env, encoding: 'utf8' });
    return r.stdout + r.stderr;
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${x.message}\n${x.stdout ?? ''}${x.stderr ?? ''}`);
  }
}

/** PEM → DER files pkcs11-tool reads (the private key as unencrypted PKCS#8). */
async function derFiles(dir: string, id: TestIdentityId, env: NodeJS.ProcessEnv): Promise<{ key: string; cert: string }> {
  const ident = testPki.identity(id);
  const key = join(dir, `${id}.key.der`);
  const cert = join(dir, `${id}.crt.der`);
  await tool('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', ident.key, '-outform', 'DER', '-out', key], env);
  await tool('openssl', ['x509', '-in', ident.cert, '-outform', 'DER', '-out', cert], env);
  return { key, cert };
}

export async function createSoftHsm(tokens: SoftHsmTokenSpec[]): Promise<SoftHsm> {
  const dir = mkdtempSync(join(tmpdir(), 'kyso-softhsm-'));
  const tokenDir = join(dir, 'tokens');
  const conf = join(dir, 'softhsm2.conf');
  mkdirSync(tokenDir);
  writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  const env: NodeJS.ProcessEnv = { ...process.env, SOFTHSM2_CONF: conf };
  const made: SoftHsmToken[] = [];
  for (const [i, t] of tokens.entries()) {
    const pin = t.pin ?? '123456';
    const soPin = '87654321';
    const out = await tool('softhsm2-util', ['--init-token', '--free', '--label', t.label, '--pin', pin, '--so-pin', soPin], env);
    const slot = /reassigned to slot (\d+)/.exec(out)?.[1];
    if (!slot) throw new Error(`softhsm2-util did not say which slot: ${out}`);
    const p11 = ['--module', SOFTHSM_MODULE, '--token-label', t.label, '--login', '--pin', pin];
    for (const k of t.keys) {
      const files = await derFiles(dir, k.identity, env);
      const label = k.label ?? k.identity;
      await tool('pkcs11-tool', [...p11, '--write-object', files.key, '--type', 'privkey', '--id', k.id, '--label', label], env);
      if (k.certificate !== false) await tool('pkcs11-tool', [...p11, '--write-object', files.cert, '--type', 'cert', '--id', k.id, '--label', label], env);
    }
    if (t.caCertificate) {
      const ca = join(dir, 'ca.crt.der');
      await tool('openssl', ['x509', '-in', testPki.caPem, '-outform', 'DER', '-out', ca], env);
      await tool('pkcs11-tool', [...p11, '--write-object', ca, '--type', 'cert', '--id', 'ca', '--label', 'Test CA'], env);
    }
    const pinEnv = `KYSO_TEST_PIN_${i}`;
    env[pinEnv] = pin;
    made.push({ label: t.label, pin, soPin, slot: BigInt(slot), pinEnv });
  }
  return {
    dir,
    conf,
    module: SOFTHSM_MODULE,
    tokens: made,
    env,
    reference(token, fields) {
      const t = made.find((x) => x.label === token);
      if (!t) throw new Error(`no SoftHSM token ${token}`);
      const pin: Record<string, string> = 'pin-file' in fields || 'pin-env' in fields ? {} : { 'pin-env': t.pinEnv };
      const all: Record<string, string> = { module: SOFTHSM_MODULE, token, ...pin, ...fields };
      return Object.entries(all)
        .map(([k, v]) => `${k}=${v}`)
        .join(';');
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
