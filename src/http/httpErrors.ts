// The one error shape of the API, `{code, message, details}`, and how engine errors map to
// HTTP statuses.
import { ConfmixError, ErrorCode, JoinRefusedError, SdpError, ShardTimeoutError, AUDIO_SOURCE_ERROR_CODE } from '../index.ts';

/** The body of every error answer. */
export interface ErrorBody {
  /** Stable, machine-readable code. */
  code: string;
  /** What went wrong, for people. */
  message: string;
  /** More facts: the field, the SDP reason, the limit. */
  details: Record<string, unknown>;
}

/** An error with its HTTP status. */
export class HttpError extends ConfmixError {
  /** The HTTP status it answers with. */
  readonly statusCode: number;
  /** Extra facts for the body's `details`. */
  readonly details: Record<string, unknown>;

  constructor(statusCode: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.details = details;
  }
}

/** The field an engine message names (`callbackTimeout must be ...`), if any. */
function fieldOf(message: string): string | undefined {
  return /^([A-Za-z_][\w.-]*(?:\[\d+\])?)(?::| must| is | needs)/.exec(message)?.[1];
}

/** The status and body for anything a handler threw. */
export function toErrorAnswer(error: unknown): { statusCode: number; body: ErrorBody } {
  if (error instanceof HttpError) return { statusCode: error.statusCode, body: { code: error.code, message: error.message, details: error.details } };
  if (error instanceof SdpError) return { statusCode: 400, body: { code: error.code, message: error.message, details: { reason: error.reason } } };
  if (error instanceof JoinRefusedError) return { statusCode: 409, body: { code: error.code, message: error.message, details: { reason: error.reason } } };
  if (error instanceof ShardTimeoutError) return { statusCode: 503, body: { code: error.code, message: error.message, details: {} } };
  if (error instanceof ConfmixError) {
    const field = fieldOf(error.message);
    const details = field === undefined ? {} : { field };
    switch (error.code) {
      case ErrorCode.invalidArgument:
      case ErrorCode.unsupported:
      case AUDIO_SOURCE_ERROR_CODE:
        return { statusCode: 400, body: { code: error.code, message: error.message, details } };
      case ErrorCode.notFound:
        return { statusCode: 404, body: { code: error.code, message: error.message, details: {} } };
      case ErrorCode.invalidState:
        return { statusCode: 409, body: { code: error.code, message: error.message, details: {} } };
      case ErrorCode.clusterUnavailable:
        return { statusCode: 503, body: { code: error.code, message: error.message, details: {} } };
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return { statusCode: 500, body: { code: 'ERR_INTERNAL', message, details: {} } };
}
