// Turns raw check outcomes into the reported checks and the ETSI indication, according to the policy levels:
// FAIL decides, WARN downgrades a failure to a warning, INFORM to information, IGNORE drops the check.
import type { ValidationPolicy } from './policy.ts';
import { Check, Indication, SUB_INDICATION_CLASS, SubIndication } from './report.ts';

// When several checks fail, the most telling reason is reported (structure before crypto before status).
const PRIORITY: SubIndication[] = [
  'FORMAT_FAILURE',
  'HASH_FAILURE',
  'SIG_CRYPTO_FAILURE',
  'REVOKED',
  'EXPIRED',
  'NOT_YET_VALID',
  'NO_SIGNING_CERTIFICATE_FOUND',
  'NO_CERTIFICATE_CHAIN_FOUND',
  'CRYPTO_CONSTRAINTS_FAILURE',
  'REVOKED_NO_POE',
  'REVOKED_CA_NO_POE',
  'OUT_OF_BOUNDS_NO_POE',
  'OUT_OF_BOUNDS_NOT_REVOKED',
  'TRY_LATER',
];

export interface PolicyOutcome {
  checks: Check[];
  indication: Indication;
  subIndication?: SubIndication;
}

export function applyPolicy(raw: Check[], policy: ValidationPolicy): PolicyOutcome {
  const checks: Check[] = [];
  const deciding: SubIndication[] = [];
  for (const c of raw) {
    const level = policy.checks[c.id] ?? 'FAIL';
    if (level === 'IGNORE') continue;
    if (c.status !== 'FAILED' || level === 'FAIL') {
      checks.push(c);
      if (c.status === 'FAILED') deciding.push(c.subIndication ?? 'CUSTOM');
      continue;
    }
    const { subIndication: _dropped, ...rest } = c;
    checks.push({ ...rest, status: level === 'WARN' ? 'WARNING' : 'INFO' });
  }
  if (deciding.length === 0) return { checks, indication: 'TOTAL_PASSED' };
  const rank = (s: SubIndication) => {
    const i = PRIORITY.indexOf(s);
    return i < 0 ? PRIORITY.length : i;
  };
  const failed = deciding.filter((s) => SUB_INDICATION_CLASS[s] === 'TOTAL_FAILED');
  const pool = failed.length ? failed : deciding;
  const subIndication = [...pool].sort((a, b) => rank(a) - rank(b))[0];
  return { checks, indication: SUB_INDICATION_CLASS[subIndication], subIndication };
}

/** Overall indication of a document: failed if any failed, passed only if all passed (and there is one). */
export function overallIndication(items: { indication: Indication; subIndication?: SubIndication }[]): { indication: Indication; subIndication?: SubIndication } {
  if (items.length === 0) return { indication: 'INDETERMINATE', subIndication: 'SIGNED_DATA_NOT_FOUND' };
  const failed = items.find((i) => i.indication === 'TOTAL_FAILED');
  if (failed) return failed;
  const indeterminate = items.find((i) => i.indication === 'INDETERMINATE');
  return indeterminate ?? { indication: 'TOTAL_PASSED' };
}
