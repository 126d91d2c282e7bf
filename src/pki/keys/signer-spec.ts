// One way to name a signing key in configuration, whatever holds it, and one function that opens it:
//
//   { "type": "pkcs12", "path": "/etc/kyso/seal.p12", "passwordEnv": "SEAL_P12_PASSWORD" }
//   { "type": "pkcs11", "module": "/usr/lib/softhsm/libsofthsm2.so", "token": "VPCP", "key": "vpcp-seal", "pinEnv": "SEAL_PIN" }
//   { "type": "csc", "url": "https://rs.example.vn/csc/v2", "clientId": "kyso", "clientSecretEnv": "CSC_SECRET",
//     "credential": "seal-01", "pinEnv": "CSC_PIN" }
//
// The exchange service opens agency seal keys with loadSignerFromSpec; the CLI's --p12/--pkcs11/--csc come down
// to the same objects. These exported types are a stable contract: add optional fields, never change meanings.
// Secrets come from environment variables or files; only pkcs12 keeps a literal `password` (demo/test files).
import { z } from 'zod';
import { KysoError } from '../../errors.ts';
import type { Signer } from '../signer.ts';
import { CscSigner } from './csc-signer.ts';
import { KeyObjectSigner } from './key-object-signer.ts';
import { DEFAULT_CLIENT_SECRET_ENV } from './csc-config.ts';
import { resolvePin, secretSource } from './key-reference.ts';
import { DEFAULT_PIN_ENV, parsePkcs11Reference, type Pkcs11KeyReference } from './pkcs11-config.ts';
import { Pkcs11Signer } from './pkcs11-signer.ts';

/** A PKCS#12 file (software key: demos, tests, servers allowed to hold a key in memory). */
export interface Pkcs12KeySpec {
  type: 'pkcs12';
  path: string;
  /** Literal password (demo and test files only); prefer passwordEnv or passwordFile. */
  password?: string;
  passwordEnv?: string;
  passwordFile?: string;
}

/** A key in a PKCS#11 token or HSM. Either `reference` (the CLI string form) or the fields. */
export interface Pkcs11KeySpec {
  type: 'pkcs11';
  /** `module=...;token=...;key=...;pin-env=...` exactly as `kyso sign --pkcs11` takes it; other fields then unused. */
  reference?: string;
  module?: string;
  /** Token label. */
  token?: string;
  /** Slot ID (number, or a decimal/0x string for IDs above 2^53). */
  slot?: number | string;
  /** Private key label (CKA_LABEL). */
  key?: string;
  /** Private key id (CKA_ID), hex. */
  id?: string;
  /** PIN source; with neither, KYSO_PKCS11_PIN. */
  pinEnv?: string;
  pinFile?: string;
  /** Certificate / issuer chain files instead of the token's certificate objects. */
  certificate?: string;
  chain?: string;
  /** Concurrent sessions (default 4). */
  poolSize?: number;
  /** Hash on the token (CKM_SHA256_RSA_PKCS…) instead of on the host. */
  hashOnToken?: boolean;
}

/** A credential of a Cloud Signature Consortium API v2 remote-signing service. */
export interface CscKeySpec {
  type: 'csc';
  /** API base URL ending in /csc/v2. */
  url: string;
  /** OAuth2 token endpoint; default `<origin>/oauth2/token`. */
  tokenUrl?: string;
  clientId: string;
  /** Client secret source; with neither, KYSO_CSC_CLIENT_SECRET. */
  clientSecretEnv?: string;
  clientSecretFile?: string;
  /** Credential id; with none, the only credential the client may use. */
  credential?: string;
  pinEnv?: string;
  pinFile?: string;
  otpEnv?: string;
  otpFile?: string;
  timeoutSeconds?: number;
}

export type KeySpec = Pkcs12KeySpec | Pkcs11KeySpec | CscKeySpec;

/** A Signer that must be closed when no longer needed (PKCS#11 sessions, module). */
export interface LoadedSigner extends Signer {
  close(): Promise<void>;
}

const str = z.string().min(1);
const pkcs12Schema = z.strictObject({ type: z.literal('pkcs12'), path: str, password: z.string().optional(), passwordEnv: str.optional(), passwordFile: str.optional() });
const pkcs11Schema = z.strictObject({
  type: z.literal('pkcs11'),
  reference: str.optional(),
  module: str.optional(),
  token: str.optional(),
  slot: z.union([z.number().int().nonnegative(), z.string().regex(/^(?:\d+|0x[0-9a-fA-F]+)$/)]).optional(),
  key: str.optional(),
  id: z.string().regex(/^(?:[0-9a-fA-F]{2})+$/).optional(),
  pinEnv: str.optional(),
  pinFile: str.optional(),
  certificate: str.optional(),
  chain: str.optional(),
  poolSize: z.number().int().min(1).max(64).optional(),
  hashOnToken: z.boolean().optional(),
});
const cscSchema = z.strictObject({
  type: z.literal('csc'),
  url: z.url(),
  tokenUrl: z.url().optional(),
  clientId: str,
  clientSecretEnv: str.optional(),
  clientSecretFile: str.optional(),
  credential: str.optional(),
  pinEnv: str.optional(),
  pinFile: str.optional(),
  otpEnv: str.optional(),
  otpFile: str.optional(),
  timeoutSeconds: z.number().positive().optional(),
});
const keySpecSchema = z.discriminatedUnion('type', [pkcs12Schema, pkcs11Schema, cscSchema]);

/** Checks a key reference read from configuration (JSON); throws INVALID_ARGUMENT naming what is wrong. */
export function parseKeySpec(value: unknown): KeySpec {
  const r = keySpecSchema.safeParse(value);
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new KysoError('INVALID_ARGUMENT', `Tham chiếu khóa ký không hợp lệ: ${detail}`, `Invalid signing key reference: ${detail}`);
  }
  const spec = r.data as KeySpec;
  const both = (a: unknown, b: unknown, names: string): void => {
    if (a !== undefined && b !== undefined) throw new KysoError('INVALID_ARGUMENT', `Chỉ dùng một trong ${names}`, `Use only one of ${names}`);
  };
  if (spec.type === 'pkcs12') {
    both(spec.password, spec.passwordEnv ?? spec.passwordFile, 'password, passwordEnv, passwordFile');
    both(spec.passwordEnv, spec.passwordFile, 'passwordEnv, passwordFile');
  } else if (spec.type === 'pkcs11') {
    if (!spec.reference && !spec.module) throw new KysoError('INVALID_ARGUMENT', 'Tham chiếu PKCS#11 cần module hoặc reference', 'A pkcs11 key reference needs module or reference');
    both(spec.pinEnv, spec.pinFile, 'pinEnv, pinFile');
  } else {
    both(spec.clientSecretEnv, spec.clientSecretFile, 'clientSecretEnv, clientSecretFile');
    both(spec.pinEnv, spec.pinFile, 'pinEnv, pinFile');
    both(spec.otpEnv, spec.otpFile, 'otpEnv, otpFile');
  }
  return spec;
}

function pkcs11Reference(s: Pkcs11KeySpec): Pkcs11KeyReference {
  if (s.reference) return parsePkcs11Reference(s.reference);
  return {
    module: s.module!,
    token: s.token,
    slot: s.slot === undefined ? undefined : BigInt(s.slot),
    keyLabel: s.key,
    keyId: s.id?.toLowerCase(),
    pin: secretSource(s.pinEnv, s.pinFile) ?? { env: DEFAULT_PIN_ENV },
    certificate: s.certificate,
    chain: s.chain,
    poolSize: s.poolSize,
    hashOnToken: s.hashOnToken,
  };
}

/**
 * Opens the signer a key reference names: a PKCS#12 file, a PKCS#11 token/HSM key or a CSC remote credential.
 * `spec` may be unchecked configuration (it is validated first). Close the result when done.
 */
export async function loadSignerFromSpec(spec: KeySpec | unknown, env: NodeJS.ProcessEnv = process.env): Promise<LoadedSigner> {
  const s = parseKeySpec(spec);
  switch (s.type) {
    case 'pkcs12': {
      const source = secretSource(s.passwordEnv, s.passwordFile);
      const password = s.password ?? (source ? resolvePin(source, env, { vi: 'mật khẩu PKCS#12', en: 'PKCS#12 password' }) : undefined);
      if (password === undefined) {
        throw new KysoError('INVALID_ARGUMENT', 'Tham chiếu PKCS#12 thiếu mật khẩu (passwordEnv hoặc passwordFile)', 'The pkcs12 key reference has no password (passwordEnv or passwordFile)');
      }
      const signer = KeyObjectSigner.fromPkcs12File(s.path, password);
      // Nothing to release: the key is an in-memory KeyObject.
      return Object.assign(signer, { close: async (): Promise<void> => {} });
    }
    case 'pkcs11':
      return Pkcs11Signer.fromReference(pkcs11Reference(s), env);
    case 'csc':
      return CscSigner.fromReference(
        {
          url: s.url.replace(/\/+$/, ''),
          tokenUrl: s.tokenUrl,
          clientId: s.clientId,
          clientSecret: secretSource(s.clientSecretEnv, s.clientSecretFile) ?? { env: DEFAULT_CLIENT_SECRET_ENV },
          credential: s.credential,
          pin: secretSource(s.pinEnv, s.pinFile),
          otp: secretSource(s.otpEnv, s.otpFile),
          timeoutMs: s.timeoutSeconds === undefined ? undefined : s.timeoutSeconds * 1000,
        },
        env,
      );
  }
}

/** A one-line description for logs and messages, never containing a secret. */
export function describeKeySpec(s: KeySpec): string {
  switch (s.type) {
    case 'pkcs12':
      return `pkcs12:${s.path}`;
    case 'pkcs11': {
      const r = pkcs11Reference(s);
      return `pkcs11:${r.module}${r.token ? ` token=${r.token}` : ''}${r.keyLabel ? ` key=${r.keyLabel}` : ''}${r.keyId ? ` id=${r.keyId}` : ''}`;
    }
    case 'csc':
      return `csc:${s.url}${s.credential ? ` credential=${s.credential}` : ''}`;
  }
}
