// The keys the service signs with on an agency's behalf (status packets, packages it builds, routing and reply
// letters), resolved from agency_signing_keys.key_ref and cached per agency and purpose: opening a PKCS#12
// costs ~30 ms of PBKDF, a token session more, and both happen once, not per status packet.
//
// key_ref is a key reference as src/pki/keys/signer-spec.ts defines it — a PKCS#12 file (demo mode, agencies
// allowed a software seal), a key in a PKCS#11 token or HSM (the seal, as the law expects), or a CSC remote-
// signing credential — plus `image`, the PNG drawn with the signature.
import { readFileSync } from 'node:fs';
import { KysoError } from '../../errors.ts';
import { loadSignerFromSpec, type LoadedSigner } from '../../pki/keys/signer-spec.ts';
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

function readImage(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new KysoError('IO', `Không đọc được ảnh chữ ký/con dấu ${path}`, `Cannot read the signature/seal image ${path}`, { cause: e });
  }
}

/** Opens the key a reference names (the `image` member is the appearance, not part of the key reference). */
export function loadKeyRef(ref: KeyRef): Promise<LoadedSigner> {
  const { image: _image, ...spec } = ref;
  return loadSignerFromSpec(spec);
}

export class AgencySigners {
  private readonly cache = new Map<string, Promise<AgencySigner | undefined>>();
  private readonly opened: LoadedSigner[] = [];

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
        const signer = await loadKeyRef(row.keyRef);
        this.opened.push(signer);
        return { signer, info: row.signer, ...(image ? { image } : {}) };
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

  /** Closes token sessions and modules opened for agencies (PKCS#11). */
  async close(): Promise<void> {
    this.cache.clear();
    await Promise.all(this.opened.splice(0).map((s) => s.close().catch(() => {})));
  }

  forget(agencyId: string): void {
    for (const k of [...this.cache.keys()]) if (k.startsWith(`${agencyId}\u0000`)) this.cache.delete(k);
  }
}
