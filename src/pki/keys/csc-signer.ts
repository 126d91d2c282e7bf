// A Signer backed by a remote signing service speaking the Cloud Signature Consortium API v2 (commercial
// remote-signing providers; certs-test/csc-server.ts in tests). The key never leaves the service: kyso hashes
// locally, asks for a Signature Activation Data (credentials/authorize, bound to that one hash, with the PIN/OTP
// from configuration) and sends the hash to signatures/signHash.
import { KysoError } from '../../errors.ts';
import { hash } from '../native-crypto.ts';
import type { KeyType, SignatureAlgorithm, Signer } from '../signer.ts';
import { cscSignAlgorithm } from './csc-algorithms.ts';
import { CscClient, CscHttpError } from './csc-client.ts';
import { parseCscReference, type CscKeyReference } from './csc-config.ts';
import { resolvePin } from './key-reference.ts';
import { keyShapeOf } from './key-shape.ts';
import { ecdsaRawToDer, isDerEcdsaSignature } from './pkcs11-mechanism.ts';

export interface CscSignerOptions {
  url: string;
  tokenUrl?: string;
  clientId: string;
  clientSecret: string;
  credential?: string;
  pin?: string;
  otp?: string;
  timeoutMs?: number;
}

/** The parts of a credentials/info answer kyso reads (v2 names `auth.mode`; v1 services said `authMode`). */
interface CredentialInfo {
  key?: { status?: string; algo?: string[]; len?: number };
  cert?: { status?: string; certificates?: string[] };
  auth?: { mode?: string; objects?: { type?: string; id?: string }[] };
  authMode?: string;
  PIN?: { presence?: string };
  OTP?: { presence?: string };
  multisign?: number;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

export class CscSigner implements Signer {
  readonly keyType: KeyType;
  readonly keyBits: number;

  private constructor(
    private readonly client: CscClient,
    /** PIN/OTP sent with every credentials/authorize (the credential's explicit authorisation). */
    private readonly authData: readonly { id: 'PIN' | 'OTP'; value: string }[],
    readonly credentialId: string,
    readonly certificate: Uint8Array,
    readonly chain: readonly Uint8Array[],
  ) {
    const shape = keyShapeOf(certificate);
    this.keyType = shape.keyType;
    this.keyBits = shape.keyBits;
  }

  /** Opens the credential a reference string (`url=...;client-id=...;credential=...`) or parsed reference names. */
  static async fromReference(ref: string | CscKeyReference, env: NodeJS.ProcessEnv = process.env): Promise<CscSigner> {
    const r = typeof ref === 'string' ? parseCscReference(ref) : ref;
    return CscSigner.open({
      url: r.url,
      tokenUrl: r.tokenUrl,
      clientId: r.clientId,
      clientSecret: resolvePin(r.clientSecret, env, { vi: 'client secret của dịch vụ ký số từ xa', en: 'remote signing client secret' }),
      credential: r.credential,
      pin: r.pin && resolvePin(r.pin, env),
      otp: r.otp && resolvePin(r.otp, env, { vi: 'mã OTP', en: 'OTP' }),
      timeoutMs: r.timeoutMs,
    });
  }

  static async open(o: CscSignerOptions): Promise<CscSigner> {
    const client = new CscClient(o);
    const call = <T>(method: string, body: Record<string, unknown>): Promise<T> => client.call<T>(method, body).catch((e) => Promise.reject(serviceError(e, method, o.credential)));
    let credentialId = o.credential;
    if (!credentialId) {
      const list = await call<{ credentialIDs?: string[] }>('credentials/list', {});
      const ids = list.credentialIDs ?? [];
      if (ids.length !== 1) {
        throw new KysoError(
          ids.length === 0 ? 'KEY_NOT_FOUND' : 'INVALID_ARGUMENT',
          ids.length === 0 ? 'Dịch vụ ký số từ xa không có khóa nào cho client này' : `Dịch vụ ký số từ xa có nhiều khóa (${ids.join(', ')}): chỉ định credential=`,
          ids.length === 0 ? 'The remote signing service has no credential for this client' : `The remote signing service has several credentials (${ids.join(', ')}): give credential=`,
        );
      }
      credentialId = ids[0]!;
    }
    const info = await call<CredentialInfo>('credentials/info', { credentialID: credentialId, certificates: 'chain', certInfo: true, authInfo: true });
    if (info.key?.status && info.key.status !== 'enabled') {
      throw new KysoError('KEY_NOT_FOUND', `Khóa "${credentialId}" trên dịch vụ ký số từ xa đang bị khóa (${info.key.status})`, `Credential "${credentialId}" is ${info.key.status} on the remote signing service`);
    }
    const certs = (info.cert?.certificates ?? []).map((c) => new Uint8Array(Buffer.from(c, 'base64')));
    if (certs.length === 0) {
      throw new KysoError('KEY_NOT_FOUND', `Dịch vụ ký số từ xa không trả về chứng thư số của "${credentialId}"`, `The remote signing service returned no certificate for "${credentialId}"`);
    }
    const mode = info.auth?.mode ?? info.authMode ?? 'explicit';
    if (mode === 'oauth2code') {
      throw new KysoError(
        'INVALID_ARGUMENT',
        `Khóa "${credentialId}" cần người dùng ủy quyền từng lần (OAuth2 authorization code): không dùng được để ký tự động`,
        `Credential "${credentialId}" needs interactive OAuth2 authorization-code authorisation: not usable for unattended signing`,
      );
    }
    const wantsPin = info.auth?.objects?.some((x) => x.id === 'PIN') || info.PIN?.presence === 'true';
    if (mode === 'explicit' && wantsPin && o.pin === undefined) {
      throw new KysoError('INVALID_ARGUMENT', `Khóa "${credentialId}" cần mã PIN: đặt pin-env= hoặc pin-file=`, `Credential "${credentialId}" needs a PIN: give pin-env= or pin-file=`);
    }
    const authData = [
      ...(o.pin !== undefined ? [{ id: 'PIN' as const, value: o.pin }] : []),
      ...(o.otp !== undefined ? [{ id: 'OTP' as const, value: o.otp }] : []),
    ];
    try {
      return new CscSigner(client, authData, credentialId, certs[0]!, certs.slice(1));
    } catch (e) {
      if (e instanceof KysoError) throw e;
      throw new KysoError('REMOTE_SIGNING_FAILED', 'Chứng thư số từ dịch vụ ký số từ xa không đọc được', 'The certificate from the remote signing service cannot be read', { cause: e });
    }
  }

  async sign(data: Uint8Array, algorithm: SignatureAlgorithm): Promise<Uint8Array> {
    return this.signDigest(hash(algorithm.digest, data), algorithm);
  }

  /** Signs a digest computed by the caller. */
  async signDigest(digest: Uint8Array, algorithm: SignatureAlgorithm): Promise<Uint8Array> {
    const want: KeyType = algorithm.scheme === 'ECDSA' ? 'EC' : 'RSA';
    if (want !== this.keyType) {
      throw new KysoError('ALGORITHM_UNSUPPORTED', `Lược đồ ${algorithm.scheme} không dùng được với khóa ${this.keyType}`, `Scheme ${algorithm.scheme} does not fit a ${this.keyType} key`);
    }
    const alg = cscSignAlgorithm(algorithm);
    const hashes = [b64(digest)];
    let sad: string;
    try {
      // A SAD bound to exactly this hash, for one signature (what SCAL2 services require, and harmless for SCAL1).
      const auth = await this.client.call<{ SAD?: string }>('credentials/authorize', {
        credentialID: this.credentialId,
        numSignatures: 1,
        hashes,
        hashAlgorithmOID: alg.hashAlgorithmOID,
        ...(this.authData.length > 0 ? { authData: this.authData } : {}),
      });
      if (!auth.SAD) throw new KysoError('REMOTE_SIGNING_FAILED', 'Dịch vụ ký số từ xa không trả về SAD', 'The remote signing service returned no SAD');
      sad = auth.SAD;
    } catch (e) {
      throw serviceError(e, 'credentials/authorize', this.credentialId);
    }
    let signatures: string[] | undefined;
    try {
      const res = await this.client.call<{ signatures?: string[] }>('signatures/signHash', {
        credentialID: this.credentialId,
        SAD: sad,
        hashes,
        hashAlgorithmOID: alg.hashAlgorithmOID,
        signAlgo: alg.signAlgo,
        ...(alg.signAlgoParams ? { signAlgoParams: alg.signAlgoParams } : {}),
        operationMode: 'S',
      });
      signatures = res.signatures;
    } catch (e) {
      throw serviceError(e, 'signatures/signHash', this.credentialId);
    }
    if (!signatures || signatures.length !== 1) {
      throw new KysoError('REMOTE_SIGNING_FAILED', 'Dịch vụ ký số từ xa không trả về đúng một chữ ký', 'The remote signing service did not return exactly one signature');
    }
    const sig = new Uint8Array(Buffer.from(signatures[0]!, 'base64'));
    // CSC carries the X.509/CMS form (DER) for ECDSA, but some services return r||s as PKCS#11 does.
    if (algorithm.scheme === 'ECDSA' && !isDerEcdsaSignature(sig)) return ecdsaRawToDer(sig);
    return sig;
  }

  /** Nothing is held open between signatures; present so every key store closes the same way. */
  async close(): Promise<void> {}
}

/** Maps a CSC/OAuth2 error answer to what the user has to fix. */
function serviceError(e: unknown, method: string, credential: string | undefined): unknown {
  if (!(e instanceof CscHttpError)) return e;
  const detail = `${method}: ${e.error}${e.description ? ` — ${e.description}` : ''}`;
  const cred = credential ?? '?';
  if (e.status === 401) {
    return new KysoError('REMOTE_AUTH_FAILED', `Dịch vụ ký số từ xa không chấp nhận access token (${detail})`, `The remote signing service refused the access token (${detail})`, { cause: e });
  }
  if (e.error === 'invalid_pin' || e.error === 'invalid_otp') {
    const what = e.error === 'invalid_pin' ? 'PIN' : 'OTP';
    return new KysoError('WRONG_PASSWORD', `Sai mã ${what} của khóa "${cred}" trên dịch vụ ký số từ xa`, `Wrong ${what} for credential "${cred}" on the remote signing service (${detail})`, { cause: e });
  }
  if (/\bSAD\b/.test(e.description) || e.error === 'invalid_sad') {
    return new KysoError(
      'REMOTE_AUTH_FAILED',
      `Dịch vụ ký số từ xa từ chối dữ liệu kích hoạt chữ ký (SAD hết hạn hoặc đã dùng): ${e.description}`,
      `The remote signing service refused the signature activation data (expired or already used SAD): ${detail}`,
      { cause: e },
    );
  }
  if (method === 'credentials/info' && /credential/i.test(e.description)) {
    return new KysoError('KEY_NOT_FOUND', `Dịch vụ ký số từ xa không có khóa "${cred}"`, `The remote signing service has no credential "${cred}" (${detail})`, { cause: e });
  }
  return new KysoError('REMOTE_SIGNING_FAILED', `Dịch vụ ký số từ xa báo lỗi khi ${method}: ${e.description || e.error}`, `The remote signing service failed (${detail})`, { cause: e });
}
