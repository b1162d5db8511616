import { KithError, type ErrorCode } from '../core/errors.js';
import { reasonOf, type Logger } from '../core/log.js';

/**
 * One answer for every refusal, on every HTTP surface (the owner API and the
 * control endpoint): the status by refusal code, and the body
 * `{"error": {"code", "message"}}`. Anything that is not a KithError is a bug
 * in Kith: a 500 whose details go to the log, not to the caller.
 */

/** HTTP status by refusal code; anything else a caller did wrong is a 400. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  unauthenticated: 401,
  unauthorized: 403,
  blocked: 403,
  'not-found': 404,
  conflict: 409,
  deleted: 410,
  'too-large': 413,
  'rate-limited': 429,
  io: 502,
  timeout: 504,
  'storage-full': 507,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 400;
}

/** The error document both surfaces send; `code` is an ErrorCode, or 'internal' for a bug. */
export interface ErrorBody {
  readonly error: { readonly code: ErrorCode | 'internal'; readonly message: string };
}

export function errorBody(code: ErrorCode | 'internal', message: string): ErrorBody {
  return { error: { code, message } };
}

export function refusal(e: unknown, log: Logger): { status: number; body: ErrorBody } {
  if (e instanceof KithError) return { status: statusOf(e.code), body: errorBody(e.code, e.message) };
  log.error(`a request failed unexpectedly: ${e instanceof Error && e.stack ? e.stack : reasonOf(e)}`);
  return { status: 500, body: errorBody('internal', 'the node hit an unexpected error; see its log') };
}
