// The PAKN case state model (pakn-process.md §4) as data: which event moves a case from which states to which.
// Pure: the SQL layer asks `transition(state, event)` and refuses what is not listed, so an out-of-order status
// packet or a second publication cannot move a case somewhere the process does not allow.
import { KysoError } from '../../errors.ts';

export const CASE_STATES = [
  'RECEIVED',
  'REJECTED_INVALID',
  'CLASSIFIED',
  'TRANSFERRED',
  'ACCEPTED_BY_AGENCY',
  'ASSIGNED',
  'IN_PROGRESS',
  'ANSWERED',
  'RETURNED_FOR_REWORK',
  'PUBLISHED',
  'CLOSED',
] as const;
export type CaseState = (typeof CASE_STATES)[number];

/** Vietnamese (then English) names shown to citizens and clerks. */
export const CASE_STATE_LABELS: Readonly<Record<CaseState, { vi: string; en: string }>> = {
  RECEIVED: { vi: 'Đã tiếp nhận', en: 'Received' },
  REJECTED_INVALID: { vi: 'Không đủ điều kiện xử lý', en: 'Not accepted' },
  CLASSIFIED: { vi: 'Đã phân loại, chờ chuyển', en: 'Classified, awaiting transfer' },
  TRANSFERRED: { vi: 'Đã chuyển cơ quan có thẩm quyền', en: 'Transferred to the competent agency' },
  ACCEPTED_BY_AGENCY: { vi: 'Cơ quan có thẩm quyền đã tiếp nhận', en: 'Accepted by the agency' },
  ASSIGNED: { vi: 'Đã phân công xử lý', en: 'Assigned' },
  IN_PROGRESS: { vi: 'Đang xử lý', en: 'In progress' },
  ANSWERED: { vi: 'Đã có văn bản trả lời, đang rà soát', en: 'Answered, under review' },
  RETURNED_FOR_REWORK: { vi: 'Trả lại để xử lý lại', en: 'Returned for rework' },
  PUBLISHED: { vi: 'Đã công khai kết quả trả lời', en: 'Answer published' },
  CLOSED: { vi: 'Đã đóng', en: 'Closed' },
};

export type CaseEvent =
  | 'reject' // VPCP: fails Decree 20 Art. 7
  | 'classify' // VPCP: category and lead agency set
  | 'transfer' // VPCP: routing package sent
  | 'status-02' // agency refused the routing package (wrong agency, invalid): back to VPCP
  | 'status-03' // agency registered it
  | 'status-04' // leadership assigned it
  | 'status-05' // in progress / progress update
  | 'recalled' // agency accepted a recall (14 on a type-1 package)
  | 'reply' // agency's signed answer arrived and verified
  | 'return' // VPCP: the answer does not match the question
  | 'publish' // VPCP: the answer is public, the citizen can download it
  | 'close';

const WORKING: readonly CaseState[] = ['TRANSFERRED', 'ACCEPTED_BY_AGENCY', 'ASSIGNED', 'IN_PROGRESS', 'RETURNED_FOR_REWORK'];

/** from-states → to-state per event. A status that repeats (05 every week) is allowed where it keeps the state. */
const TABLE: Readonly<Record<CaseEvent, { from: readonly CaseState[]; to: CaseState }>> = {
  reject: { from: ['RECEIVED', 'CLASSIFIED'], to: 'REJECTED_INVALID' },
  classify: { from: ['RECEIVED', 'CLASSIFIED'], to: 'CLASSIFIED' },
  transfer: { from: ['RECEIVED', 'CLASSIFIED'], to: 'TRANSFERRED' },
  'status-02': { from: ['TRANSFERRED', 'ACCEPTED_BY_AGENCY'], to: 'CLASSIFIED' },
  'status-03': { from: ['TRANSFERRED'], to: 'ACCEPTED_BY_AGENCY' },
  'status-04': { from: ['TRANSFERRED', 'ACCEPTED_BY_AGENCY'], to: 'ASSIGNED' },
  'status-05': { from: ['TRANSFERRED', 'ACCEPTED_BY_AGENCY', 'ASSIGNED', 'IN_PROGRESS', 'RETURNED_FOR_REWORK'], to: 'IN_PROGRESS' },
  recalled: { from: WORKING, to: 'CLASSIFIED' },
  reply: { from: WORKING, to: 'ANSWERED' },
  return: { from: ['ANSWERED'], to: 'RETURNED_FOR_REWORK' },
  publish: { from: ['ANSWERED'], to: 'PUBLISHED' },
  close: { from: ['PUBLISHED'], to: 'CLOSED' },
};

/** The next state, or undefined when the event is not allowed in `state`. */
export function nextState(state: CaseState, event: CaseEvent): CaseState | undefined {
  const t = TABLE[event];
  return t.from.includes(state) ? t.to : undefined;
}

/** Like nextState, but refuses with CASE_STATE naming both states. */
export function transition(state: CaseState, event: CaseEvent): CaseState {
  const to = nextState(state, event);
  if (!to) {
    const label = CASE_STATE_LABELS[state];
    throw new KysoError('CASE_STATE', `Hồ sơ đang ở trạng thái "${label.vi}": không thể ${event}`, `The case is ${state} (${label.en}): "${event}" is not allowed`);
  }
  return to;
}

/** States after which the case is finished for deadline purposes. */
export const FINISHED_STATES: readonly CaseState[] = ['REJECTED_INVALID', 'PUBLISHED', 'CLOSED'];

/** States in which no deadline runs: finished, or answered and awaiting VPCP's review. */
export const NO_DEADLINE_STATES: readonly CaseState[] = [...FINISHED_STATES, 'ANSWERED'];

/** Overdue is derived, not a state (pakn-process.md §4): a deadline still runs and `now` is past it. */
export const isCaseOverdue = (c: { state: CaseState; answerDueAt: Date }, now: Date): boolean =>
  !NO_DEADLINE_STATES.includes(c.state) && now.getTime() > c.answerDueAt.getTime();

/** The status codes that move a case, and how. 01 (arrived), 06 (completed) and 14/16 are recorded only. */
export function eventForStatus(code: string): CaseEvent | undefined {
  return code === '02' ? 'status-02' : code === '03' ? 'status-03' : code === '04' ? 'status-04' : code === '05' ? 'status-05' : undefined;
}
