// application/problem+json (RFC 9457) for the HTTP API. Every error the API returns goes through here: a stable
// `code` (a KysoError code or one of the HTTP-layer codes below), the HTTP status, and the messages —
// Vietnamese in the standard members `title`/`detail`, English in the extension members `title_en`/`detail_en`.
// Stack traces and internal messages never reach the client.
import type { ErrorCode } from '../errors.ts';
import { isKysoError } from '../errors.ts';

/** Errors that only exist at the HTTP layer. */
export type HttpErrorCode =
  | 'BAD_REQUEST'
  | 'NO_FILE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'METHOD_NOT_ALLOWED'
  | 'VALIDATION_TIMEOUT'
  | 'RESOURCE_LIMIT'
  | 'OVERLOADED'
  | 'INTERNAL';

export type ProblemCode = ErrorCode | HttpErrorCode;

export interface Problem {
  /** A URI naming the problem type: urn:kyso:problem:<code in kebab case>. */
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  title_en: string;
  detail_en: string;
  instance?: string;
  /** Extension members (RFC 9457 §3.2), e.g. the id of a rejected message and of the status packet sent back. */
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

interface ProblemKind {
  status: number;
  title: string;
  title_en: string;
}

const UNREADABLE: ProblemKind = { status: 422, title: 'Không đọc được tệp PDF', title_en: 'Unreadable PDF' };
const UNREADABLE_XML: ProblemKind = { status: 422, title: 'Không đọc được tài liệu XML', title_en: 'Unreadable XML' };

/** HTTP status and title per code. Codes not listed (signing-only errors) are 500. */
const KINDS: Partial<Record<ProblemCode, ProblemKind>> = {
  BAD_REQUEST: { status: 400, title: 'Yêu cầu không hợp lệ', title_en: 'Bad request' },
  INVALID_ARGUMENT: { status: 400, title: 'Yêu cầu không hợp lệ', title_en: 'Bad request' },
  NO_FILE: { status: 400, title: 'Thiếu tệp cần kiểm tra', title_en: 'No file to verify' },
  NOT_FOUND: { status: 404, title: 'Không tìm thấy', title_en: 'Not found' },
  UNAUTHORIZED: { status: 401, title: 'Chưa xác thực', title_en: 'Unauthorized' },
  FORBIDDEN: { status: 403, title: 'Không có quyền', title_en: 'Forbidden' },
  DB_CONFLICT: { status: 409, title: 'Xung đột dữ liệu', title_en: 'Conflict' },
  CASE_STATE: { status: 409, title: 'Trạng thái hồ sơ không cho phép thao tác này', title_en: 'Not allowed in the case\'s current state' },
  NO_SERVICE_KEY: { status: 409, title: 'Dịch vụ không giữ khóa ký của cơ quan', title_en: 'The service holds no key for this agency' },
  IDEMPOTENCY_MISMATCH: { status: 422, title: 'Idempotency-Key đã dùng cho yêu cầu khác', title_en: 'Idempotency-Key reused with a different request' },
  PACKAGE_REJECTED: { status: 422, title: 'Gói tin bị từ chối', title_en: 'Package rejected' },
  UNKNOWN_AGENCY: { status: 422, title: 'Cơ quan không có trong danh bạ', title_en: 'Unknown agency' },
  // The working-day calendar of a year a deadline falls in has not been entered yet (an operator's task).
  CALENDAR_YEAR_MISSING: { status: 503, title: 'Chưa có lịch làm việc của năm cần tính thời hạn', title_en: 'The working-day calendar for that year is missing' },
  DB_UNAVAILABLE: { status: 503, title: 'Cơ sở dữ liệu tạm thời không sẵn sàng', title_en: 'Database unavailable' },
  REDIS_UNAVAILABLE: { status: 503, title: 'Hàng đợi tạm thời không sẵn sàng', title_en: 'Queue unavailable' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Phương thức không được hỗ trợ', title_en: 'Method not allowed' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Tệp quá lớn', title_en: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Kiểu nội dung không được hỗ trợ', title_en: 'Unsupported media type' },
  NOT_A_PDF: UNREADABLE,
  PDF_MALFORMED: UNREADABLE,
  UNSUPPORTED_FORMAT: { status: 422, title: 'Tệp không phải PDF hay XML', title_en: 'Neither PDF nor XML' },
  XML_MALFORMED: UNREADABLE_XML,
  XML_DOCTYPE: { status: 422, title: 'Tài liệu XML có DOCTYPE bị từ chối', title_en: 'XML with a DOCTYPE is refused' },
  EDXML_INVALID: { status: 422, title: 'Gói tin edXML không hợp lệ', title_en: 'Invalid edXML package' },
  PDF_ENCRYPTED: { status: 422, title: 'Tệp PDF được mã hóa', title_en: 'Encrypted PDF' },
  PDF_UNSUPPORTED: { status: 422, title: 'Tệp PDF không được hỗ trợ', title_en: 'Unsupported PDF' },
  RESOURCE_LIMIT: { status: 422, title: 'Tệp vượt quá giới hạn tài nguyên khi kiểm tra', title_en: 'File exceeds the validation resource limits' },
  VALIDATION_TIMEOUT: { status: 503, title: 'Kiểm tra quá thời gian cho phép', title_en: 'Validation timed out' },
  OVERLOADED: { status: 503, title: 'Dịch vụ đang quá tải', title_en: 'Service overloaded' },
  // The validator reports unreachable OCSP/CRL as INDETERMINATE; these only surface if a transport error escapes.
  NETWORK: { status: 503, title: 'Lỗi kết nối tới dịch vụ chứng thực', title_en: 'Certification service unreachable' },
  OCSP_FAILED: { status: 503, title: 'Lỗi kết nối tới dịch vụ chứng thực', title_en: 'Certification service unreachable' },
  CRL_FAILED: { status: 503, title: 'Lỗi kết nối tới dịch vụ chứng thực', title_en: 'Certification service unreachable' },
  INTERNAL: { status: 500, title: 'Lỗi nội bộ', title_en: 'Internal server error' },
};

const INTERNAL_KIND = KINDS.INTERNAL!;

export const problemType = (code: ProblemCode): string => `urn:kyso:problem:${code.toLowerCase().replace(/_/g, '-')}`;

export function statusFor(code: ProblemCode): number {
  return (KINDS[code] ?? INTERNAL_KIND).status;
}

/** A problem document for a code, with Vietnamese and English details. */
export function problem(code: ProblemCode, detail: string, detailEn: string, instance?: string, extensions: Record<string, unknown> = {}): Problem {
  const kind = KINDS[code] ?? INTERNAL_KIND;
  return {
    ...extensions,
    type: problemType(code),
    title: kind.title,
    status: kind.status,
    detail,
    code,
    title_en: kind.title_en,
    detail_en: detailEn,
    ...(instance ? { instance } : {}),
  };
}

/** An error raised inside the HTTP layer that already knows its problem code (and, e.g., Allow/Retry-After). */
export class HttpProblemError extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly vi: string,
    readonly en: string,
    readonly headers: Record<string, string> = {},
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(en);
    this.name = 'HttpProblemError';
  }
}

/**
 * Maps anything thrown while handling a request to a problem. KysoErrors with a known HTTP meaning keep their
 * own messages (they are written for users); anything else — including KysoErrors that can only mean a server
 * fault (IO, ...) — becomes a 500 with a fixed message; the caller logs the original.
 */
export function problemFromError(e: unknown, instance?: string): { problem: Problem; headers: Record<string, string>; internal: boolean } {
  if (e instanceof HttpProblemError) return { problem: problem(e.code, e.vi, e.en, instance, e.extensions), headers: e.headers, internal: false };
  if (isKysoError(e) && KINDS[e.code] !== undefined) return { problem: problem(e.code, e.vi, e.en, instance, (e as { extensions?: Record<string, unknown> }).extensions), headers: {}, internal: false };
  return {
    problem: problem(
      'INTERNAL',
      'Đã xảy ra lỗi không mong đợi khi xử lý yêu cầu. Vui lòng thử lại sau hoặc báo cho quản trị viên.',
      'An unexpected error occurred while handling the request. Please retry later or tell the administrator.',
      instance,
    ),
    headers: {},
    internal: true,
  };
}
