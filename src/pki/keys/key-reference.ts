// What the key-reference forms (PKCS#11 `module=...;token=...`, CSC `url=...;client-id=...`, the JSON key specs)
// have in common: the `name=value;name=value` syntax and secrets named by where to read them, never written out.
import { readFileSync } from 'node:fs';
import { KysoError } from '../../errors.ts';

/** Where a secret (PIN, client secret, OTP, password) is read from. */
export type PinSource = { env: string } | { file: string };

/** A secret named by a reference: the PIN, a client secret or OTP for remote signing, a PKCS#12 password. */
export interface SecretName {
  vi: string;
  en: string;
}

const invalid = (vi: string, en: string): KysoError => new KysoError('INVALID_ARGUMENT', vi, en);

export interface ReferenceSyntax {
  /** How messages name the reference: `PKCS#11`, `CSC`. */
  kind: string;
  known: ReadonlySet<string>;
  /** Fields that would put a secret in the reference: the error to throw for one, checked before anything else. */
  secretField?: (name: string) => KysoError | undefined;
  /** Reject a field given twice (otherwise the last one counts). */
  rejectRepeats?: boolean;
}

/** Splits `name=value;name=value` (names case-insensitive, blanks trimmed) and checks every name is known and has a value. */
export function referenceFields(spec: string, syntax: ReferenceSyntax): Map<string, string> {
  const { kind, known } = syntax;
  const fields = new Map<string, string>();
  for (const part of spec.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    const secret = syntax.secretField?.(name);
    if (secret) throw secret;
    if (!known.has(name)) throw invalid(`Tham chiếu ${kind} có khóa lạ "${name}"`, `Unknown field "${name}" in the ${kind} reference (known: ${[...known].join(', ')})`);
    if (value === '') throw invalid(`Tham chiếu ${kind}: "${name}" không có giá trị`, `${kind} reference: "${name}" has no value`);
    if (syntax.rejectRepeats && fields.has(name)) throw invalid(`Tham chiếu ${kind}: "${name}" xuất hiện hai lần`, `${kind} reference: "${name}" appears twice`);
    fields.set(name, value);
  }
  return fields;
}

/** The source an `<env>`/`<file>` pair names, if either is given (callers reject both at once). */
export const secretSource = (env: string | undefined, file: string | undefined): PinSource | undefined => (env ? { env } : file ? { file } : undefined);

/** The source `<name>-env=` or `<name>-file=` names in parsed reference fields; both at once is an error. */
export function referenceSecret(fields: ReadonlyMap<string, string>, name: string): PinSource | undefined {
  const env = fields.get(`${name}-env`);
  const file = fields.get(`${name}-file`);
  if (env && file) throw invalid(`Chỉ dùng một trong ${name}-env và ${name}-file`, `Use only one of ${name}-env and ${name}-file`);
  return secretSource(env, file);
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
