// The keys the service signs with on an agency's behalf (status packets, packages it builds, routing and reply
// letters), resolved from agency_signing_keys.key_ref and cached per agency and purpose: opening a PKCS#12
// costs ~30 ms of PBKDF, a token session more, and both happen once, not per status packet.
//
// key_ref types: `pkcs12` is resolved here (demo mode, tests, agencies allowed a software seal). Other types
// (`pkcs11`, `csc`: HSM and remote signing) are resolved by the key-store loader registered with
// `setKeyRefLoader`, so the exchange does not depend on token libraries it may never load.
import { readFileSync } from 'node:fs';
import { KysoError } from '../../errors.ts';
import { KeyObjectSigner } from '../../pki/keys/key-object-signer.ts';
import { loadPkcs12 } from '../../pki/keys/pkcs12.ts';
import type { Signer } from '../../pki/signer.ts';
import type { Queryable } from '../../store/database.ts';
import type { SignerInfo } from '../edxml/model.ts';
import { getSigningKey, type KeyPurpose, type KeyRef } from './agency-registry.ts';

export interface AgencySigner {
  signer: Signer;
  /** SignerInfo for edXML and the letter's signature block. */
  info: SignerInfo;
  /** The appearance: the person's blue signature or the agency's red seal (PNG), from key_ref.image. */
  image?: Buffer;
}

export type KeyRefLoader = (ref: KeyRef) => Promise<Signer>;

function loadPkcs12Ref(ref: Extract<KeyRef, { type: 'pkcs12' }>): Signer {
  const password = ref.passwordEnv !== undefined ? process.env[ref.passwordEnv] : ref.password;
  if (password === undefined) {
    throw new KysoError('INVALID_ARGUMENT', `Chưa đặt biến môi trường ${ref.passwordEnv} chứa mật khẩu khóa`, `Environment variable ${ref.passwordEnv} with the key password is not set`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(ref.path);
  } catch (e) {
    throw new KysoError('IO', `Không đọc được tệp khóa ${ref.path}`, `Cannot read key file ${ref.path}`, { cause: e });
  }
  return KeyObjectSigner.fromMaterial(loadPkcs12(bytes, password));
}

function readImage(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new KysoError('IO', `Không đọc được ảnh chữ ký/con dấu ${path}`, `Cannot read the signature/seal image ${path}`, { cause: e });
  }
}

let externalLoader: KeyRefLoader | undefined;

/** Registers the loader for key references other than pkcs12 (PKCS#11, CSC). */
export function setKeyRefLoader(loader: KeyRefLoader | undefined): void {
  externalLoader = loader;
}

export async function loadKeyRef(ref: KeyRef): Promise<Signer> {
  if (ref.type === 'pkcs12') return loadPkcs12Ref(ref as Extract<KeyRef, { type: 'pkcs12' }>);
  if (externalLoader) return externalLoader(ref);
  throw new KysoError('INVALID_ARGUMENT', `Loại kho khóa chưa được hỗ trợ: ${ref.type}`, `Unsupported key store type: ${ref.type}`);
}

export class AgencySigners {
  private readonly cache = new Map<string, Promise<AgencySigner | undefined>>();

  constructor(private readonly db: Queryable) {}

  /** The agency's key for this purpose, or undefined when the service holds none (the agency signs itself). */
  get(agencyId: string, purpose: KeyPurpose): Promise<AgencySigner | undefined> {
    const k = `${agencyId}\u0000${purpose}`;
    let p = this.cache.get(k);
    if (!p) {
      p = (async () => {
        const row = await getSigningKey(this.db, agencyId, purpose);
        if (!row) return undefined;
        const image = typeof row.keyRef.image === 'string' ? readImage(row.keyRef.image) : undefined;
        return { signer: await loadKeyRef(row.keyRef), info: row.signer, ...(image ? { image } : {}) };
      })();
      // A failed load is not cached: the operator fixes the file or the variable and the next call retries.
      p.catch(() => this.cache.delete(k));
      this.cache.set(k, p);
    }
    return p;
  }

  /** Like get(), but a missing key is an error naming the agency. */
  async require(agencyId: string, purpose: KeyPurpose): Promise<AgencySigner> {
    const s = await this.get(agencyId, purpose);
    if (!s) {
      throw new KysoError(
        'NO_SERVICE_KEY',
        `Dịch vụ không giữ khóa ${purpose === 'seal' ? 'con dấu' : 'cá nhân'} của cơ quan ${agencyId}; cơ quan hãy tự ký và gửi gói tin đã ký`,
        `The service holds no ${purpose} key for agency ${agencyId}; the agency must sign and send the package itself`,
      );
    }
    return s;
  }

  forget(agencyId: string): void {
    for (const k of [...this.cache.keys()]) if (k.startsWith(`${agencyId}\u0000`)) this.cache.delete(k);
  }
}
