// One loaded PKCS#11 module per library path for the whole process. Cryptoki is initialised once per process:
// a second C_Initialize answers CKR_CRYPTOKI_ALREADY_INITIALIZED and one signer's C_Finalize would pull the
// library out from under every other signer using the same token. So signers share a reference-counted module
// and the last one to close finalises it.
import pkcs11js from 'pkcs11js';
import { KysoError } from '../../errors.ts';

export type Pkcs11 = pkcs11js.PKCS11;
export type Handle = Buffer;
export { pkcs11js };

interface Loaded {
  api: Pkcs11;
  refs: number;
}

const loaded = new Map<string, Loaded>();

export interface ModuleLease {
  readonly api: Pkcs11;
  release(): void;
}

export function acquireModule(path: string): ModuleLease {
  let m = loaded.get(path);
  if (!m) {
    const api = new pkcs11js.PKCS11();
    try {
      api.load(path);
    } catch (e) {
      throw new KysoError(
        'PKCS11_MODULE',
        `Không nạp được thư viện PKCS#11 ${path} (kiểm tra đường dẫn và gói trình điều khiển của thiết bị)`,
        `Cannot load the PKCS#11 module ${path}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    try {
      // OS locking: signatures run on libuv worker threads, several sessions at once.
      api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (e) {
      if (ckrName(e) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
        try {
          api.close();
        } catch {
          /* the load failed half-way; nothing more to release */
        }
        throw new KysoError('PKCS11_MODULE', `Thư viện PKCS#11 ${path} không khởi tạo được`, `The PKCS#11 module ${path} failed to initialise: ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
    m = { api, refs: 0 };
    loaded.set(path, m);
  }
  m.refs++;
  const entry = m;
  let released = false;
  return {
    api: entry.api,
    release(): void {
      if (released) return;
      released = true;
      if (--entry.refs > 0) return;
      loaded.delete(path);
      try {
        entry.api.C_Finalize();
      } finally {
        entry.api.close();
      }
    },
  };
}

/** The CKR_* name of a Cryptoki error (pkcs11js puts it in the message), or undefined for other errors. */
export function ckrName(e: unknown): string | undefined {
  const m = /\b(CKR_[A-Z0-9_]+)\b/.exec(String((e as Error)?.message ?? ''));
  return m?.[1];
}

const NOT_PRESENT = new Set(['CKR_TOKEN_NOT_PRESENT', 'CKR_DEVICE_REMOVED', 'CKR_TOKEN_NOT_RECOGNIZED', 'CKR_SLOT_ID_INVALID', 'CKR_DEVICE_ERROR']);
/** Errors after which the session is gone and a fresh one (after re-login) may succeed. */
export const SESSION_LOST = new Set(['CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED', 'CKR_USER_NOT_LOGGED_IN', 'CKR_DEVICE_REMOVED', 'CKR_TOKEN_NOT_PRESENT']);

/** Maps a Cryptoki failure to the error a user can act on. `what` says what kyso was doing, in both languages. */
export function tokenError(e: unknown, what: { vi: string; en: string }, token: string): KysoError {
  if (e instanceof KysoError) return e;
  const ckr = ckrName(e);
  if (ckr === 'CKR_PIN_INCORRECT' || ckr === 'CKR_PIN_INVALID' || ckr === 'CKR_PIN_LEN_RANGE') {
    return new KysoError('WRONG_PASSWORD', `Sai mã PIN của thiết bị ký "${token}"`, `Wrong PIN for token "${token}" (${ckr})`, { cause: e });
  }
  if (ckr === 'CKR_PIN_LOCKED' || ckr === 'CKR_PIN_EXPIRED') {
    return new KysoError(
      'PIN_LOCKED',
      `Mã PIN của thiết bị ký "${token}" đã bị khóa hoặc hết hạn: cần mã PUK/SO để mở khóa`,
      `The PIN of token "${token}" is locked or expired (${ckr}): unlock it with the SO PIN/PUK`,
      { cause: e },
    );
  }
  if (ckr && NOT_PRESENT.has(ckr)) {
    return new KysoError('TOKEN_NOT_PRESENT', `Thiết bị ký "${token}" không còn kết nối khi ${what.vi}`, `Token "${token}" is not present while ${what.en} (${ckr})`, { cause: e });
  }
  return new KysoError('TOKEN_ERROR', `Lỗi thiết bị ký "${token}" khi ${what.vi}: ${ckr ?? (e as Error)?.message}`, `Token "${token}" failed while ${what.en}: ${ckr ?? (e as Error)?.message}`, {
    cause: e,
  });
}
