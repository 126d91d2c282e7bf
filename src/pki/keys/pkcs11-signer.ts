// A Signer whose private key stays in a PKCS#11 token or HSM (agency seal keys in an HSM, a person's key in a
// USB token; SoftHSM2 in tests). The token does the private-key operation; certificates come from the token or
// from configuration. Concurrent signatures each take a session from a bounded pool and run on libuv worker
// threads (C_SignAsync), so a slow HSM does not block the event loop.
import { constants, verify as nodeVerify, X509Certificate } from 'node:crypto';
import { KysoError } from '../../errors.ts';
import { nodeDigestName, defaultScheme, digestLength, type KeyType, type SignatureAlgorithm, type Signer } from '../signer.ts';
import { issuerChain, readCertificateFile } from './pkcs11-certificates.ts';
import { resolvePin } from './key-reference.ts';
import { keyShapeOf, type KeyShape } from './key-shape.ts';
import { parsePkcs11Reference, type Pkcs11KeyReference } from './pkcs11-config.ts';
import { ecdsaRawToDer, planForDigest, planSignature, type SignPlan } from './pkcs11-mechanism.ts';
import { acquireModule, ckrName, pkcs11js, SESSION_LOST, tokenError, type Handle, type ModuleLease, type Pkcs11 } from './pkcs11-module.ts';
import { Pkcs11SessionPool } from './pkcs11-session-pool.ts';

const P = pkcs11js;

/** A key reference with the PIN already resolved (see resolvePin). */
export interface Pkcs11SignerOptions extends Omit<Pkcs11KeyReference, 'pin'> {
  pin: string;
}

/** CK_ULONG attribute value (little-endian, 4 or 8 bytes depending on the platform). */
function ulong(b: Buffer): bigint {
  return b.length >= 8 ? b.readBigUInt64LE(0) : BigInt(b.readUInt32LE(0));
}

/** The key handle no longer names an object (token rewritten or re-inserted). */
const HANDLE_LOST = new Set(['CKR_KEY_HANDLE_INVALID', 'CKR_OBJECT_HANDLE_INVALID']);

const PROBE = Buffer.from('kyso: does the token key match the certificate?');

interface KeyHandle {
  handle: Handle;
  id: Buffer;
  label: string;
  alwaysAuthenticate: boolean;
}

export class Pkcs11Signer implements Signer {
  readonly keyType: KeyType;
  readonly keyBits: number;
  private closed = false;
  /** Signatures under way: close() lets them finish before it closes their sessions. */
  private readonly inFlight = new Set<Promise<Uint8Array>>();

  private constructor(
    private readonly lease: ModuleLease,
    private readonly slot: Handle,
    private readonly pool: Pkcs11SessionPool,
    private readonly mechanisms: ReadonlySet<number>,
    private key: KeyHandle,
    private readonly pin: string,
    private readonly hashOnToken: boolean,
    /** Token label, for messages. */
    readonly tokenLabel: string,
    readonly certificate: Uint8Array,
    readonly chain: readonly Uint8Array[],
  ) {
    const shape = keyShapeOf(certificate);
    this.keyType = shape.keyType;
    this.keyBits = shape.keyBits;
  }

  /** Opens the key a reference string (`module=...;token=...;key=...`) or parsed reference names; reads the PIN from env or file. */
  static async fromReference(ref: string | Pkcs11KeyReference, env: NodeJS.ProcessEnv = process.env): Promise<Pkcs11Signer> {
    const r = typeof ref === 'string' ? parsePkcs11Reference(ref) : ref;
    const { pin: source, ...rest } = r;
    return Pkcs11Signer.open({ ...rest, pin: resolvePin(source, env) });
  }

  static async open(o: Pkcs11SignerOptions): Promise<Pkcs11Signer> {
    const lease = acquireModule(o.module);
    const api = lease.api;
    let pool: Pkcs11SessionPool | undefined;
    try {
      const { slot, label } = findToken(api, o);
      const what = { vi: 'mở phiên làm việc', en: 'opening a session' };
      pool = new Pkcs11SessionPool(
        () => api.C_OpenSession(slot, P.CKF_SERIAL_SESSION),
        (s) => api.C_CloseSession(s),
        o.poolSize ?? 4,
      );
      const session = await pool.acquire().catch((e) => Promise.reject(tokenError(e, what, label)));
      let key: KeyHandle;
      let certificate: Uint8Array;
      let chain: Uint8Array[];
      try {
        login(api, session, o.pin, label);
        key = findKey(api, session, o, label);
        const tokenCerts = o.certificate && o.chain ? [] : readTokenCertificates(api, session);
        if (o.certificate) certificate = readCertificateFile(o.certificate)[0]!;
        else {
          const own = tokenCerts.find((c) => c.id.equals(key.id));
          if (!own) {
            throw new KysoError(
              'KEY_NOT_FOUND',
              `Thiết bị ký "${label}" không có chứng thư số cho khóa "${key.label}" (CKA_ID ${key.id.toString('hex')}): chỉ định cert=TỆP`,
              `Token "${label}" holds no certificate for key "${key.label}" (CKA_ID ${key.id.toString('hex')}): give cert=FILE`,
            );
          }
          certificate = own.der;
        }
        chain = o.chain ? readCertificateFile(o.chain) : issuerChain(certificate, tokenCerts.map((c) => c.der));
      } catch (e) {
        throw tokenError(e, { vi: 'đọc khóa và chứng thư số', en: 'reading the key and certificates' }, label);
      } finally {
        pool.release(session);
      }
      let mechanisms: Set<number>;
      try {
        mechanisms = new Set(api.C_GetMechanismList(slot));
      } catch (e) {
        throw tokenError(e, { vi: 'liệt kê cơ chế ký', en: 'listing mechanisms' }, label);
      }
      const signer = new Pkcs11Signer(lease, slot, pool, mechanisms, key, o.pin, o.hashOnToken ?? false, label, certificate, chain);
      await signer.checkKeyMatchesCertificate();
      return signer;
    } catch (e) {
      pool?.close();
      lease.release();
      throw e;
    }
  }

  async sign(data: Uint8Array, algorithm: SignatureAlgorithm): Promise<Uint8Array> {
    return this.run(planSignature(data, algorithm, this.shape, this.mechanisms, this.hashOnToken));
  }

  /** Signs a digest computed elsewhere (remote-signing back ends receive only the hash). */
  async signDigest(digest: Uint8Array, algorithm: SignatureAlgorithm): Promise<Uint8Array> {
    return this.run(planForDigest(digest, algorithm, this.shape));
  }

  /**
   * Waits for signatures in progress, closes this signer's sessions (the token is logged out once no signer of
   * this process has a session on it) and finalises the module when no other signer uses it.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.pool.close();
    this.lease.release();
  }

  private get shape(): KeyShape {
    return { keyType: this.keyType, keyBits: this.keyBits };
  }

  private run(plan: SignPlan): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new KysoError('TOKEN_ERROR', 'Bộ ký PKCS#11 đã đóng', 'The PKCS#11 signer is closed'));
    const p = this.runOnSession(plan);
    this.inFlight.add(p);
    const done = (): void => void this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  private async runOnSession(plan: SignPlan): Promise<Uint8Array> {
    if (!this.mechanisms.has(plan.mechanism.mechanism)) {
      throw new KysoError('ALGORITHM_UNSUPPORTED', 'Thiết bị ký không hỗ trợ cơ chế ký này', `The token does not offer mechanism 0x${plan.mechanism.mechanism.toString(16)}`);
    }
    const what = { vi: 'ký', en: 'signing' };
    const api = this.lease.api;
    for (let attempt = 0; ; attempt++) {
      let session: Handle;
      try {
        session = await this.pool.acquire();
      } catch (e) {
        throw tokenError(e, what, this.tokenLabel);
      }
      try {
        api.C_SignInit(session, plan.mechanism, this.key.handle);
        // Keys marked CKA_ALWAYS_AUTHENTICATE (qualified-signature cards) want the PIN again for each operation.
        if (this.key.alwaysAuthenticate) api.C_Login(session, P.CKU_CONTEXT_SPECIFIC, this.pin);
        const sig = await api.C_SignAsync(session, plan.input, Buffer.alloc(plan.outputLength));
        this.pool.release(session);
        return plan.rawEcdsa ? ecdsaRawToDer(sig) : new Uint8Array(sig);
      } catch (e) {
        // A failed C_Sign ends the operation, but a failed context login leaves it active: never reuse the session.
        this.pool.discard(session);
        const ckr = ckrName(e);
        if (attempt === 0 && ckr && (SESSION_LOST.has(ckr) || HANDLE_LOST.has(ckr))) {
          // The token was logged out, re-inserted or rewritten: old sessions and handles are void. Check it is
          // still there, log in again on a fresh session, find the key again and retry once.
          this.pool.discardIdle();
          await this.recover().catch((r) => Promise.reject(tokenError(r, what, this.tokenLabel)));
          continue;
        }
        throw tokenError(e, what, this.tokenLabel);
      }
    }
  }

  private async recover(): Promise<void> {
    const gone = (): KysoError =>
      new KysoError(
        'TOKEN_NOT_PRESENT',
        `Thiết bị ký "${this.tokenLabel}" đã bị rút ra hoặc bị thay, hoặc khóa "${this.key.label}" không còn trên đó`,
        `Token "${this.tokenLabel}" was removed or replaced, or key "${this.key.label}" is no longer on it`,
      );
    let info: pkcs11js.TokenInfo;
    try {
      info = this.lease.api.C_GetTokenInfo(this.slot);
    } catch {
      throw gone();
    }
    if ((info.flags & P.CKF_TOKEN_INITIALIZED) === 0 || info.label.trimEnd() !== this.tokenLabel) throw gone();
    const session = await this.pool.acquire();
    try {
      login(this.lease.api, session, this.pin, this.tokenLabel);
      const found = findObjects(this.lease.api, session, [
        { type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY },
        { type: P.CKA_ID, value: this.key.id },
      ]);
      if (found.length !== 1) throw gone();
      this.key = { ...this.key, handle: found[0]! };
    } finally {
      this.pool.release(session);
    }
  }

  /** One signature at open, verified with the certificate's public key: catches a wrong cert= or a key/cert mix-up. */
  private async checkKeyMatchesCertificate(): Promise<void> {
    const algorithm: SignatureAlgorithm = { digest: 'SHA-256', scheme: defaultScheme(this.keyType) };
    const sig = await this.sign(PROBE, algorithm);
    const key = new X509Certificate(this.certificate).publicKey;
    const ok =
      algorithm.scheme === 'RSASSA-PSS'
        ? nodeVerify(nodeDigestName('SHA-256'), PROBE, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digestLength('SHA-256') }, sig)
        : nodeVerify(nodeDigestName('SHA-256'), PROBE, { key, dsaEncoding: 'der' }, sig);
    if (!ok) {
      throw new KysoError(
        'KEY_CERT_MISMATCH',
        `Khóa "${this.key.label}" trên thiết bị ký "${this.tokenLabel}" không khớp với chứng thư số`,
        `Key "${this.key.label}" on token "${this.tokenLabel}" does not match the certificate`,
      );
    }
  }
}

function findToken(api: Pkcs11, o: Pkcs11SignerOptions): { slot: Handle; label: string } {
  let slots: Handle[];
  try {
    slots = api.C_GetSlotList(true);
  } catch (e) {
    throw tokenError(e, { vi: 'liệt kê khe cắm', en: 'listing slots' }, o.token ?? '?');
  }
  const tokens: { slot: Handle; label: string; id: bigint }[] = [];
  for (const slot of slots) {
    try {
      const info = api.C_GetTokenInfo(slot);
      // SoftHSM (and some HSMs) always show one more, uninitialised token for the next init.
      if ((info.flags & P.CKF_TOKEN_INITIALIZED) === 0) continue;
      tokens.push({ slot, label: info.label.trimEnd(), id: ulong(slot) });
    } catch {
      /* a token pulled out between the two calls is simply not there */
    }
  }
  const matching = tokens.filter((t) => (o.token === undefined || t.label === o.token) && (o.slot === undefined || t.id === o.slot));
  const wanted = [o.token !== undefined ? `token=${o.token}` : '', o.slot !== undefined ? `slot=${o.slot}` : ''].filter(Boolean).join(';') || '(any)';
  const present = tokens.map((t) => `"${t.label}" (slot ${t.id})`).join(', ') || '—';
  if (matching.length === 0) {
    throw new KysoError(
      'TOKEN_NOT_PRESENT',
      `Không thấy thiết bị ký ${wanted}; đang có: ${present}`,
      `No token ${wanted} is present; present: ${present}`,
    );
  }
  if (matching.length > 1) {
    throw new KysoError('INVALID_ARGUMENT', `Có nhiều thiết bị ký khớp ${wanted}: chỉ định token= hoặc slot=`, `Several tokens match ${wanted} (${present}): give token= or slot=`);
  }
  return { slot: matching[0]!.slot, label: matching[0]!.label };
}

function login(api: Pkcs11, session: Handle, pin: string, label: string): void {
  try {
    api.C_Login(session, P.CKU_USER, pin);
  } catch (e) {
    // Login state belongs to the process and token, not the session: another signer on the same token already
    // logged in, and the token does not check this PIN again (a wrong PIN shows once that signer is closed).
    if (ckrName(e) === 'CKR_USER_ALREADY_LOGGED_IN') return;
    throw tokenError(e, { vi: 'đăng nhập', en: 'logging in' }, label);
  }
}

function findObjects(api: Pkcs11, session: Handle, template: pkcs11js.Template): Handle[] {
  api.C_FindObjectsInit(session, template);
  try {
    const out: Handle[] = [];
    for (;;) {
      const batch = api.C_FindObjects(session, 64);
      if (batch.length === 0) return out;
      out.push(...batch);
    }
  } finally {
    api.C_FindObjectsFinal(session);
  }
}

function attribute(api: Pkcs11, session: Handle, obj: Handle, type: number): Buffer | undefined {
  try {
    return api.C_GetAttributeValue(session, obj, [{ type }])[0]?.value;
  } catch {
    return undefined; // CKR_ATTRIBUTE_TYPE_INVALID on tokens that do not know the attribute
  }
}

function findKey(api: Pkcs11, session: Handle, o: Pkcs11SignerOptions, token: string): KeyHandle {
  const template: pkcs11js.Template = [{ type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY }];
  if (o.keyLabel !== undefined) template.push({ type: P.CKA_LABEL, value: o.keyLabel });
  if (o.keyId !== undefined) template.push({ type: P.CKA_ID, value: Buffer.from(o.keyId, 'hex') });
  let found: Handle[];
  try {
    found = findObjects(api, session, template);
  } catch (e) {
    throw tokenError(e, { vi: 'tìm khóa', en: 'looking up the key' }, token);
  }
  const describe = (h: Handle): string => attribute(api, session, h, P.CKA_LABEL)?.toString('utf8') || `id ${attribute(api, session, h, P.CKA_ID)?.toString('hex') ?? '?'}`;
  const wanted = [o.keyLabel !== undefined ? `key=${o.keyLabel}` : '', o.keyId !== undefined ? `id=${o.keyId}` : ''].filter(Boolean).join(';') || '(any)';
  if (found.length !== 1) {
    const all = findObjects(api, session, [{ type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY }]).map(describe).join(', ') || '—';
    if (found.length === 0) {
      throw new KysoError('KEY_NOT_FOUND', `Thiết bị ký "${token}" không có khóa bí mật ${wanted}; đang có: ${all}`, `Token "${token}" has no private key ${wanted}; it has: ${all}`);
    }
    throw new KysoError('INVALID_ARGUMENT', `Có nhiều khóa khớp ${wanted} trên "${token}": chỉ định key= hoặc id=`, `Several keys match ${wanted} on "${token}" (${all}): give key= or id=`);
  }
  const handle = found[0]!;
  const always = attribute(api, session, handle, P.CKA_ALWAYS_AUTHENTICATE);
  return {
    handle,
    id: attribute(api, session, handle, P.CKA_ID) ?? Buffer.alloc(0),
    label: attribute(api, session, handle, P.CKA_LABEL)?.toString('utf8') ?? '',
    alwaysAuthenticate: always !== undefined && always.length > 0 && always[0] !== 0,
  };
}

function readTokenCertificates(api: Pkcs11, session: Handle): { id: Buffer; der: Uint8Array }[] {
  const out: { id: Buffer; der: Uint8Array }[] = [];
  for (const h of findObjects(api, session, [{ type: P.CKA_CLASS, value: P.CKO_CERTIFICATE }])) {
    const der = attribute(api, session, h, P.CKA_VALUE);
    if (!der || der.length === 0) continue;
    try {
      new X509Certificate(der);
    } catch {
      continue; // not an X.509 certificate (attribute certificates, vendor objects)
    }
    out.push({ id: attribute(api, session, h, P.CKA_ID) ?? Buffer.alloc(0), der: new Uint8Array(der) });
  }
  return out;
}
