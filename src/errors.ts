// The error classes every confmix API throws. Each has a stable `code` callers can switch on.

/**
 * Stable codes of every confmix error. The first six are the native core's table
 * (native/core/status.h); a test keeps the two in step and finds every code the TypeScript
 * raises here.
 */
export const ErrorCode = {
  invalidArgument: 'ERR_INVALID_ARGUMENT',
  notFound: 'ERR_NOT_FOUND',
  invalidState: 'ERR_INVALID_STATE',
  unsupported: 'ERR_UNSUPPORTED',
  /** Every port of the shard's RTP range is taken. */
  portsExhausted: 'ERR_PORTS_EXHAUSTED',
  /** The operating system refused (e.g. out of file descriptors). */
  system: 'ERR_SYSTEM',
  /** An SDP offer or answer that cannot be used. */
  sdp: 'ERR_SDP',
  /** An audio source that cannot be played (see AudioSourceError's `reason`). */
  audioSource: 'ERR_AUDIO_SOURCE',
  /** A shard did not answer in time. */
  shardTimeout: 'ERR_SHARD_TIMEOUT',
  /** A shard failed in a way it could not name. */
  internal: 'ERR_INTERNAL',
  /** Anything without a code of its own. */
  generic: 'ERR_CONFMIX',
  /** HTTP: a request body that does not match its route's schema. */
  validation: 'ERR_VALIDATION',
  /** HTTP: a body that is not valid JSON (or SDP). */
  badBody: 'ERR_BAD_BODY',
  /** HTTP: a body over the server's limit. */
  bodyTooLarge: 'ERR_BODY_TOO_LARGE',
  /** HTTP: a content type the route does not take. */
  contentType: 'ERR_CONTENT_TYPE',
  /** HTTP: missing or wrong credentials. */
  unauthorized: 'ERR_UNAUTHORIZED',
  /** HTTP: a user over its requests per second. */
  rateLimit: 'ERR_RATE_LIMIT',
  /** HTTP: a user at its limit of conferences or members. */
  userLimit: 'ERR_USER_LIMIT',
  /** HTTP: the server is starting or closing, or a shard is missing. */
  notReady: 'ERR_NOT_READY',
  /** The server's configuration cannot work. */
  config: 'ERR_CONFIG',
  /** Kazoo API: a missing or wrong X-Auth-Token. */
  kazooUnauthorized: 'ERR_KAZOO_UNAUTHORIZED',
  /** Kazoo API: a document or action that fails the schema. */
  kazooInvalidData: 'ERR_KAZOO_INVALID_DATA',
  /** Kazoo API: an unknown document or participant, or another account's. */
  kazooNotFound: 'ERR_KAZOO_NOT_FOUND',
  /** Kazoo API: a member joining where a moderator must be in first. */
  kazooModeratorRequired: 'ERR_KAZOO_MODERATOR_REQUIRED',
  /** Kazoo API: an action confmix does not do (dial). */
  kazooUnsupported: 'ERR_KAZOO_UNSUPPORTED',
  /** Kazoo API: a participant action on a document with no live conference. */
  kazooNotRunning: 'ERR_KAZOO_NOT_RUNNING',
  /** Kazoo API: a wrong or missing pin. */
  kazooBadPin: 'ERR_KAZOO_BAD_PIN',
  /** Cluster: Redis cannot be reached at start. */
  redisUnreachable: 'ERR_REDIS_UNREACHABLE',
  /** Cluster: no live server can take the request, or the one owning it does not answer. */
  clusterUnavailable: 'ERR_CLUSTER_UNAVAILABLE',
} as const;

/** Base of every confmix error. */
export class ConfmixError extends Error {
  readonly #code: string;

  /** An error with an explicit stable code. */
  constructor(code: string, message: string, options?: ErrorOptions);
  /** An error whose code the subclass supplies by overriding `code`. */
  constructor(message: string, options?: ErrorOptions);
  constructor(first: string, second?: string | ErrorOptions, third?: ErrorOptions) {
    const withCode = typeof second === 'string';
    super(withCode ? second : first, withCode ? third : second);
    this.#code = withCode ? first : ErrorCode.generic;
    this.name = 'ConfmixError';
  }

  /** Stable, machine-readable error code, e.g. 'ERR_NOT_FOUND'. */
  get code(): string {
    return this.#code;
  }

  /** Plain data for a structured-clone boundary (worker messages, HTTP bodies). */
  toJSON(): { name: string; code: string; message: string } {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** An argument is missing, of the wrong type, or out of range. */
export class InvalidArgumentError extends ConfmixError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.invalidArgument, message, options);
    this.name = 'InvalidArgumentError';
  }
}

/** The referenced entity (conference, member, ...) does not exist. */
export class NotFoundError extends ConfmixError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.notFound, message, options);
    this.name = 'NotFoundError';
  }
}

/** The call does not fit the object's current state (closed, duplicate, already queued, ...). */
export class InvalidStateError extends ConfmixError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.invalidState, message, options);
    this.name = 'InvalidStateError';
  }
}

/** The request names something confmix does not support. */
export class UnsupportedError extends ConfmixError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.unsupported, message, options);
    this.name = 'UnsupportedError';
  }
}

/** Rebuilds a typed error from its code and message (from the addon, a worker, or JSON). */
export function errorFromPayload(payload: { code: string; message: string }, options?: ErrorOptions): ConfmixError {
  switch (payload.code) {
    case ErrorCode.invalidArgument:
      return new InvalidArgumentError(payload.message, options);
    case ErrorCode.notFound:
      return new NotFoundError(payload.message, options);
    case ErrorCode.invalidState:
      return new InvalidStateError(payload.message, options);
    case ErrorCode.unsupported:
      return new UnsupportedError(payload.message, options);
    default:
      return new ConfmixError(payload.code, payload.message, options);
  }
}

/** Turns anything thrown (a native error with a `code`, a plain Error, a value) into a ConfmixError. */
export function toConfmixError(error: unknown): ConfmixError {
  if (error instanceof ConfmixError) return error;
  const shaped = error as { code?: unknown; message?: unknown } | null;
  const code = typeof shaped?.code === 'string' ? shaped.code : ErrorCode.generic;
  const message = typeof shaped?.message === 'string' ? shaped.message : String(error);
  return errorFromPayload({ code, message }, { cause: error });
}
