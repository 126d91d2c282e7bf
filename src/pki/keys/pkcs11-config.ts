// Where a PKCS#11 key lives, as a user writes it on the command line or in agency configuration:
//   module=/usr/lib/softhsm/libsofthsm2.so;token=KYSO;key=vpcp-seal;pin-env=SEAL_PIN
// The PIN itself never appears in the reference (it would end up in shell history and process lists): it comes
// from an environment variable (pin-env, default KYSO_PKCS11_PIN) or a file (pin-file).
import { readFileSync } from 'node:fs';
import { KysoError } from '../../errors.ts';

/** Environment variable read for the PIN when the reference names neither pin-env nor pin-file. */
export const DEFAULT_PIN_ENV = 'KYSO_PKCS11_PIN';

export type PinSource = { env: string } | { file: string };

export interface Pkcs11KeyReference {
  /** Path of the PKCS#11 module (shared library) of the token or HSM vendor. */
  module: string;
  /** Token label (trailing blanks ignored). With neither token nor slot, the only token present is used. */
  token?: string;
  /** Slot ID as `pkcs11-tool -L` prints it. */
  slot?: bigint;
  /** Private key label (CKA_LABEL). */
  keyLabel?: string;
  /** Private key id (CKA_ID) in hex. With neither keyLabel nor keyId, the only private key on the token is used. */
  keyId?: string;
  pin: PinSource;
  /** Certificate (PEM or DER file) instead of the one stored on the token under the key's CKA_ID. */
  certificate?: string;
  /** Issuer chain (PEM bundle, nearest issuer first) instead of the issuer certificates stored on the token. */
  chain?: string;
  /** Most sessions open at once (concurrent signatures); default 4. */
  poolSize?: number;
  /** Let the token hash the data (CKM_SHA256_RSA_PKCS…) instead of hashing on the host; default false. */
  hashOnToken?: boolean;
}

const invalid = (vi: string, en: string): KysoError => new KysoError('INVALID_ARGUMENT', vi, en);

const KEYS = new Set(['module', 'token', 'slot', 'key', 'id', 'pin-env', 'pin-file', 'cert', 'chain', 'pool', 'hash']);

/** Parses `module=...;token=...;key=...|id=HEX;pin-env=VAR|pin-file=PATH;slot=N;cert=PEM;chain=PEM;pool=N;hash=host|token`. */
export function parsePkcs11Reference(spec: string): Pkcs11KeyReference {
  const fields = new Map<string, string>();
  for (const part of spec.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (name === 'pin') {
      throw invalid(
        'Không ghi mã PIN trong tham chiếu khóa: dùng pin-env=BIẾN hoặc pin-file=TỆP (hoặc biến KYSO_PKCS11_PIN)',
        'Do not put the PIN in the key reference: use pin-env=VAR or pin-file=PATH (or KYSO_PKCS11_PIN)',
      );
    }
    if (!KEYS.has(name)) {
      throw invalid(`Tham chiếu PKCS#11 có khóa lạ "${name}"`, `Unknown field "${name}" in the PKCS#11 reference (known: ${[...KEYS].join(', ')})`);
    }
    if (value === '') throw invalid(`Tham chiếu PKCS#11: "${name}" không có giá trị`, `PKCS#11 reference: "${name}" has no value`);
    if (fields.has(name)) throw invalid(`Tham chiếu PKCS#11: "${name}" xuất hiện hai lần`, `PKCS#11 reference: "${name}" appears twice`);
    fields.set(name, value);
  }
  const module = fields.get('module');
  if (!module) throw invalid('Tham chiếu PKCS#11 thiếu module=ĐƯỜNG_DẪN_THƯ_VIỆN', 'The PKCS#11 reference needs module=PATH_OF_THE_LIBRARY');
  if (fields.has('pin-env') && fields.has('pin-file')) {
    throw invalid('Chỉ dùng một trong pin-env và pin-file', 'Use only one of pin-env and pin-file');
  }
  const ref: Pkcs11KeyReference = {
    module,
    token: fields.get('token'),
    keyLabel: fields.get('key'),
    pin: fields.has('pin-file') ? { file: fields.get('pin-file')! } : { env: fields.get('pin-env') ?? DEFAULT_PIN_ENV },
    certificate: fields.get('cert'),
    chain: fields.get('chain'),
  };
  const slot = fields.get('slot');
  if (slot !== undefined) {
    if (!/^(?:\d+|0x[0-9a-f]+)$/i.test(slot)) throw invalid(`slot phải là số: "${slot}"`, `slot must be a number: "${slot}"`);
    ref.slot = BigInt(slot);
  }
  const id = fields.get('id');
  if (id !== undefined) {
    const hex = id.replace(/^0x/i, '').replace(/:/g, '').toLowerCase();
    if (!/^(?:[0-9a-f]{2})+$/.test(hex)) throw invalid(`id phải là chuỗi hex: "${id}"`, `id must be hex: "${id}"`);
    ref.keyId = hex;
  }
  const pool = fields.get('pool');
  if (pool !== undefined) {
    const n = Number(pool);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw invalid(`pool phải từ 1 đến 64: "${pool}"`, `pool must be 1..64: "${pool}"`);
    ref.poolSize = n;
  }
  const hash = fields.get('hash');
  if (hash !== undefined) {
    if (hash !== 'host' && hash !== 'token') throw invalid(`hash phải là host hoặc token: "${hash}"`, `hash must be host or token: "${hash}"`);
    ref.hashOnToken = hash === 'token';
  }
  return ref;
}

/** A secret named by a reference: the PIN here, a client secret or OTP for remote signing. */
export interface SecretName {
  vi: string;
  en: string;
}

/** Reads the PIN (or another secret) from where the reference says; a missing variable or unreadable file is the user's to fix. */
export function resolvePin(source: PinSource, env: NodeJS.ProcessEnv = process.env, what: SecretName = { vi: 'mã PIN', en: 'PIN' }): string {
  if ('env' in source) {
    const v = env[source.env];
    if (v === undefined || v === '') {
      throw invalid(`Chưa đặt ${what.vi}: biến môi trường ${source.env} trống`, `No ${what.en}: environment variable ${source.env} is not set`);
    }
    return v;
  }
  let text: string;
  try {
    text = readFileSync(source.file, 'utf8');
  } catch (e) {
    throw new KysoError('IO', `Không đọc được tệp ${what.vi} ${source.file}`, `Cannot read the ${what.en} file ${source.file}`, { cause: e });
  }
  // A trailing newline comes from `echo PIN > file`; it is never part of the secret.
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw invalid(`Tệp ${what.vi} ${source.file} trống`, `The ${what.en} file ${source.file} is empty`);
  return value;
}
