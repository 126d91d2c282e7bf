// Validation policy as data (EU DSS style): a level per check, plus algorithm constraints. The government
// default is strict: anything that could hide a forgery fails (signature-security.md §5).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KysoError } from '../errors.ts';
import type { CheckId } from './report.ts';

/** FAIL: a failed check decides the indication; WARN: reported as a warning; INFORM: reported; IGNORE: not run. */
export type PolicyLevel = 'FAIL' | 'WARN' | 'INFORM' | 'IGNORE';

export interface AlgorithmPolicy {
  /** Digest algorithms that are refused (e.g. SHA-1, MD5). */
  forbiddenDigests: string[];
  minRsaBits: number;
  minEcBits: number;
}

export interface ValidationPolicy {
  name: string;
  description: string;
  checks: Record<CheckId, PolicyLevel>;
  algorithms: AlgorithmPolicy;
  /** Fetch missing issuer certificates from AIA caIssuers URLs (only when online). */
  fetchIssuers: boolean;
}

const POLICY_DIR = join(dirname(fileURLToPath(import.meta.url)), 'policies');
const LEVELS = new Set<PolicyLevel>(['FAIL', 'WARN', 'INFORM', 'IGNORE']);

function invalid(why: string): KysoError {
  return new KysoError('INVALID_ARGUMENT', `Tệp chính sách kiểm tra không hợp lệ: ${why}`, `Invalid validation policy: ${why}`);
}

/** Parses a policy JSON; checks missing from `checks` inherit the base policy's level. */
export function parsePolicy(json: string, base?: ValidationPolicy): ValidationPolicy {
  let raw: Partial<ValidationPolicy>;
  try {
    raw = JSON.parse(json) as Partial<ValidationPolicy>;
  } catch (e) {
    throw invalid(`JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null) throw invalid('not an object');
  const checks = { ...(base?.checks ?? {}) } as Record<CheckId, PolicyLevel>;
  for (const [id, level] of Object.entries(raw.checks ?? {})) {
    if (!LEVELS.has(level as PolicyLevel)) throw invalid(`level "${String(level)}" for ${id}`);
    if (base && !(id in base.checks)) throw invalid(`unknown check "${id}"`);
    checks[id as CheckId] = level as PolicyLevel;
  }
  const algorithms = { ...(base?.algorithms ?? { forbiddenDigests: [], minRsaBits: 0, minEcBits: 0 }), ...(raw.algorithms ?? {}) };
  if (!Array.isArray(algorithms.forbiddenDigests) || typeof algorithms.minRsaBits !== 'number' || typeof algorithms.minEcBits !== 'number') {
    throw invalid('algorithms');
  }
  return {
    name: typeof raw.name === 'string' ? raw.name : (base?.name ?? 'custom'),
    description: typeof raw.description === 'string' ? raw.description : (base?.description ?? ''),
    checks,
    algorithms,
    fetchIssuers: typeof raw.fetchIssuers === 'boolean' ? raw.fetchIssuers : (base?.fetchIssuers ?? false),
  };
}

let governmentDefault: ValidationPolicy | undefined;

/** The strict government default shipped in policies/government-strict.json. */
export function defaultPolicy(): ValidationPolicy {
  return (governmentDefault ??= parsePolicy(readFileSync(join(POLICY_DIR, 'government-strict.json'), 'utf8')));
}

/** A policy file layered over the default (unknown check ids are refused). */
export function loadPolicy(path: string): ValidationPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new KysoError('IO', `Không đọc được tệp chính sách ${path}`, `Cannot read policy file ${path}`, { cause: e });
  }
  return parsePolicy(text, defaultPolicy());
}
