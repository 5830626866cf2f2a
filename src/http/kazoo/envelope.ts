// Kazoo's envelope: requests carry `{"data": …}`; answers are `{"data", "status": "success",
// "request_id", "revision", "auth_token", "timestamp", "version"}`, and errors
// `{"status": "error", "error": "<http code>", "message", "data": {<field>: {<rule>: {message}}}}`.
import { randomBytes } from 'node:crypto';
import { ConfmixError } from '../../index.ts';
import type { ValidationErrors } from './conferenceDocument.ts';

/** The API version these answers report. */
export const KAZOO_API_VERSION = '4.3.0-confmix';

/** An error answered in Kazoo's shape. */
export class KazooError extends ConfmixError {
  /** The HTTP status it answers with. */
  readonly statusCode: number;
  /** The body's `data`: the invalid fields with their rules, or a cause. */
  readonly data: Record<string, unknown>;

  constructor(statusCode: number, code: string, message: string, data: Record<string, unknown> = {}) {
    super(code, message);
    this.name = 'KazooError';
    this.statusCode = statusCode;
    this.data = data;
  }

  /** 400 naming every invalid field with the rule it broke. */
  static invalid(errors: ValidationErrors): KazooError {
    return new KazooError(400, 'ERR_KAZOO_INVALID_DATA', 'invalid data', errors);
  }

  /** 404 for an id nobody of this account has. */
  static notFound(what: string, id: string | number): KazooError {
    return new KazooError(404, 'ERR_KAZOO_NOT_FOUND', 'bad identifier', { cause: String(id), message: `${what} ${id} not found` });
  }
}

/** The per-request fields every answer carries. */
export interface EnvelopeContext {
  /** The request's id (the X-Request-ID header, else a new one). */
  requestId: string;
  /** The token the request authenticated with. */
  authToken: string;
}

/** A new request id. */
export function newRequestId(): string {
  return randomBytes(16).toString('hex');
}

/** A success answer. */
export function success(context: EnvelopeContext, data: unknown, revision?: string): Record<string, unknown> {
  return {
    auth_token: context.authToken,
    data,
    request_id: context.requestId,
    revision: revision ?? 'undefined',
    status: 'success',
    timestamp: new Date().toISOString(),
    version: KAZOO_API_VERSION,
  };
}

/** An error answer. */
export function failure(context: Partial<EnvelopeContext>, statusCode: number, message: string, data: Record<string, unknown>): Record<string, unknown> {
  return {
    auth_token: context.authToken ?? '',
    data,
    error: String(statusCode),
    message,
    request_id: context.requestId ?? newRequestId(),
    status: 'error',
    timestamp: new Date().toISOString(),
    version: KAZOO_API_VERSION,
  };
}

/** The `data` of a request body `{"data": …}`, or a 400 naming `data`. */
export function requestData(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw KazooError.invalid({ data: { required: { message: 'The request body must be a JSON object {"data": {...}}' } } });
  }
  const data = (body as Record<string, unknown>).data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw KazooError.invalid({ data: { type: { message: 'Field is required and must be an object', target: 'object' } } });
  }
  return data as Record<string, unknown>;
}
