/**
 * Maps the apiserver's Status object (the body of every failed request) to a
 * HushError, so controllers can branch on `reason` ("NotFound", "Conflict",
 * "AlreadyExists", "Gone", ...) and on `retryable` without parsing messages.
 *
 * The message carries the API's own message: it names objects and fields but
 * not their values, so it is safe to log. Request bodies are never echoed.
 */
import { HushError, type ErrorCode } from '../util/errors.ts';

export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
}

export class KubeApiError extends HushError {
  /** HTTP status; 0 when no response arrived (connection refused, reset, timeout). */
  readonly status: number;
  /** The Status reason (NotFound, Conflict, AlreadyExists, Gone, Expired, Forbidden, Invalid, ...). */
  readonly reason: string;
  readonly details: KubeStatus['details'];

  constructor(
    status: number,
    reason: string,
    message: string,
    options: { cause?: unknown; retryAfterMs?: number; details?: KubeStatus['details'] } = {},
  ) {
    super(codeForStatus(status, reason), message, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }),
    });
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.details = options.details;
  }
}

/** The kind of a failed request, which also decides whether retrying it can help (util/errors.ts). */
function codeForStatus(status: number, reason: string): ErrorCode {
  if (status === 0) return reason === 'Timeout' ? 'Timeout' : 'Unavailable';
  switch (status) {
    case 400:
      return 'InvalidSpec';
    case 401:
      return 'AuthFailed';
    case 403:
      return 'AccessDenied';
    case 404:
      return 'NotFound';
    case 405:
    case 406:
    case 415:
      return 'NotSupported';
    case 409:
      return 'Conflict';
    case 410:
      // The resourceVersion we asked for was compacted: relist and go on.
      return 'Conflict';
    case 413:
      // Too large: what the stores returned may shrink; retried with backoff.
      return 'InvalidData';
    case 422:
      return 'InvalidSpec';
    case 429:
      return 'Throttled';
    case 504:
      return 'Timeout';
    default:
      if (status >= 500) return reason === 'Timeout' ? 'Timeout' : 'Unavailable';
      return 'Internal';
  }
}

const defaultReasons: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/**
 * Builds the error for a failed response. `what` says what we tried
 * ("get secrets ns/name"); `body` is the parsed response (a Status when the
 * apiserver produced it, anything else when a proxy did).
 */
export function errorFromResponse(
  what: string,
  status: number,
  body: unknown,
  retryAfterHeader?: string,
): KubeApiError {
  const st: KubeStatus = isStatus(body) ? body : {};
  const reason = st.reason || defaultReasons[status] || (status >= 500 ? 'InternalError' : 'Unknown');
  const apiMessage = st.message || `HTTP ${status}`;
  let retryAfterMs: number | undefined;
  const headerSeconds = retryAfterHeader === undefined ? NaN : Number(retryAfterHeader);
  if (Number.isFinite(headerSeconds)) retryAfterMs = headerSeconds * 1000;
  else if (st.details?.retryAfterSeconds !== undefined) retryAfterMs = st.details.retryAfterSeconds * 1000;
  return new KubeApiError(status, reason, `${what}: ${apiMessage}`, {
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(st.details === undefined ? {} : { details: st.details }),
  });
}

/** An error event inside a watch stream (type ERROR) carries a Status too. */
export function errorFromStatus(what: string, st: KubeStatus): KubeApiError {
  const status = st.code ?? 500;
  return errorFromResponse(what, status, st);
}

function isStatus(body: unknown): body is KubeStatus {
  return typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'Status';
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 404;
}
/** 409 from an optimistic-concurrency failure (stale resourceVersion) or an apply conflict. */
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409 && err.reason !== 'AlreadyExists';
}
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409 && err.reason === 'AlreadyExists';
}
/** 410: the resourceVersion is too old (compacted); relist. */
export function isGone(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 410;
}
