// Where a remote-signing (CSC API v2) key lives, as a user writes it:
//   url=https://rs.example.vn/csc/v2;client-id=kyso;client-secret-env=CSC_SECRET;credential=seal-01;pin-env=CSC_PIN
// As for PKCS#11, secrets are never in the reference itself: they come from environment variables or files.
import { KysoError } from '../../errors.ts';
import { referenceFields, referenceSecret, type PinSource } from './key-reference.ts';

/** Environment variable read for the OAuth2 client secret when the reference names no other source. */
export const DEFAULT_CLIENT_SECRET_ENV = 'KYSO_CSC_CLIENT_SECRET';

export interface CscKeyReference {
  /** Base URL of the CSC API, ending in /csc/v2. */
  url: string;
  /** OAuth2 token endpoint; default `<origin of url>/oauth2/token`. */
  tokenUrl?: string;
  clientId: string;
  clientSecret: PinSource;
  /** Credential (key + certificate) id; with none, the only credential the client may use. */
  credential?: string;
  /** PIN for credentials/authorize (explicit authorisation), if the credential wants one. */
  pin?: PinSource;
  /** One-time password for credentials/authorize, if the credential wants one. */
  otp?: PinSource;
  /** Per-request timeout in milliseconds; default 30 000. */
  timeoutMs?: number;
}

const invalid = (vi: string, en: string): KysoError => new KysoError('INVALID_ARGUMENT', vi, en);

const KEYS = new Set([
  'url',
  'token-url',
  'client-id',
  'client-secret-env',
  'client-secret-file',
  'credential',
  'pin-env',
  'pin-file',
  'otp-env',
  'otp-file',
  'timeout',
]);

function httpUrl(name: string, v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw invalid(`${name} không phải URL: "${v}"`, `${name} is not a URL: "${v}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw invalid(`${name} phải là http(s)`, `${name} must be http(s)`);
  return v.replace(/\/+$/, '');
}

/** Parses `url=...;client-id=...;client-secret-env=VAR|client-secret-file=PATH;credential=ID;pin-env|pin-file;otp-env|otp-file;token-url=URL;timeout=S`. */
export function parseCscReference(spec: string): CscKeyReference {
  const fields = referenceFields(spec, {
    kind: 'CSC',
    known: KEYS,
    secretField: (name) =>
      name === 'pin' || name === 'client-secret' || name === 'otp'
        ? invalid(
            `Không ghi ${name} trong tham chiếu khóa: dùng ${name}-env=BIẾN hoặc ${name}-file=TỆP`,
            `Do not put ${name} in the key reference: use ${name}-env=VAR or ${name}-file=PATH`,
          )
        : undefined,
  });
  const url = fields.get('url');
  const clientId = fields.get('client-id');
  if (!url || !clientId) throw invalid('Tham chiếu CSC cần url= và client-id=', 'The CSC reference needs url= and client-id=');
  const ref: CscKeyReference = {
    url: httpUrl('url', url),
    clientId,
    clientSecret: referenceSecret(fields, 'client-secret') ?? { env: DEFAULT_CLIENT_SECRET_ENV },
    credential: fields.get('credential'),
    pin: referenceSecret(fields, 'pin'),
    otp: referenceSecret(fields, 'otp'),
  };
  const tokenUrl = fields.get('token-url');
  if (tokenUrl) ref.tokenUrl = httpUrl('token-url', tokenUrl);
  const timeout = fields.get('timeout');
  if (timeout !== undefined) {
    const s = Number(timeout);
    if (!Number.isFinite(s) || s <= 0) throw invalid(`timeout phải là số giây dương: "${timeout}"`, `timeout must be positive seconds: "${timeout}"`);
    ref.timeoutMs = s * 1000;
  }
  return ref;
}
