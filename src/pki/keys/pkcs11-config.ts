// Where a PKCS#11 key lives, as a user writes it on the command line or in agency configuration:
//   module=/usr/lib/softhsm/libsofthsm2.so;token=KYSO;key=vpcp-seal;pin-env=SEAL_PIN
// The PIN itself never appears in the reference (it would end up in shell history and process lists): it comes
// from an environment variable (pin-env, default KYSO_PKCS11_PIN) or a file (pin-file).
import { KysoError } from '../../errors.ts';
import { referenceFields, referenceSecret, type PinSource } from './key-reference.ts';

/** Environment variable read for the PIN when the reference names neither pin-env nor pin-file. */
export const DEFAULT_PIN_ENV = 'KYSO_PKCS11_PIN';

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
  const fields = referenceFields(spec, {
    kind: 'PKCS#11',
    known: KEYS,
    rejectRepeats: true,
    secretField: (name) =>
      name === 'pin'
        ? invalid(
            'Không ghi mã PIN trong tham chiếu khóa: dùng pin-env=BIẾN hoặc pin-file=TỆP (hoặc biến KYSO_PKCS11_PIN)',
            'Do not put the PIN in the key reference: use pin-env=VAR or pin-file=PATH (or KYSO_PKCS11_PIN)',
          )
        : undefined,
  });
  const module = fields.get('module');
  if (!module) throw invalid('Tham chiếu PKCS#11 thiếu module=ĐƯỜNG_DẪN_THƯ_VIỆN', 'The PKCS#11 reference needs module=PATH_OF_THE_LIBRARY');
  const pin = referenceSecret(fields, 'pin') ?? { env: DEFAULT_PIN_ENV };
  const ref: Pkcs11KeyReference = {
    module,
    token: fields.get('token'),
    keyLabel: fields.get('key'),
    pin,
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
