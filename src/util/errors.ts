/**
 * Errors with stable codes. Every error Hush shows a person carries a code that
 * scripts and alerts can match on, and one class per code.
 *
 * Whether trying again can help is a property of the kind of error, never of
 * the call site: `retryable` follows from the code (the table below). A call
 * site that wants "stop and wait for a person" picks a terminal kind
 * (InvalidSpec, NotSupported, TargetConflict); it cannot mark a retryable kind
 * terminal or the other way round. The controllers use it to choose between
 * "back off and retry" (status `Reconciling`, with the time of the next try)
 * and "stalled until the object changes" (status `Stalled`): controller-runtime's
 * terminal errors, Flux's stalled condition.
 *
 * Wrapping keeps the class, the code and the cause: `err.withContext("spec.data[0]")`
 * returns an error of the same class whose message starts with that context and
 * whose `cause` is the original. Classify by `code` (or `hasCode`), which also
 * works for errors of subclasses such as KubeApiError.
 *
 * Messages must never contain secret values. Provider code builds messages from
 * key names, store names and the store's own error text, which it redacts
 * (see redact.ts) before wrapping.
 */
export type ErrorCode =
  | 'NotFound'
  | 'PropertyNotFound'
  | 'AuthFailed'
  | 'AccessDenied'
  | 'Throttled'
  | 'Unavailable'
  | 'Timeout'
  | 'InvalidConfig'
  | 'InvalidSpec'
  | 'InvalidData'
  | 'NotSupported'
  | 'Conflict'
  | 'TargetConflict'
  | 'PolicyRefused'
  | 'EgressDenied'
  | 'Internal';

export interface HushErrorOptions {
  cause?: unknown;
  /** How long the other side asked us to wait (Throttled, Retry-After), in ms. */
  retryAfterMs?: number;
}

/**
 * Whether each kind is worth retrying unchanged. The rule: what only a change
 * to the object itself can fix is terminal; what may be fixed elsewhere (the
 * store, a referenced Secret, the store's data, the network) is retried with
 * backoff, because nothing may wake the object when it is fixed there.
 */
const retryableByCode: Readonly<Record<ErrorCode, boolean>> = {
  NotFound: true, // the key may be created later; back off, do not stall
  PropertyNotFound: true,
  AuthFailed: true, // credentials are often rotated under us
  AccessDenied: true, // a policy may be granted later
  Throttled: true,
  Unavailable: true,
  Timeout: true,
  InvalidConfig: true, // configuration outside the object: a store, a referenced Secret, a server
  InvalidSpec: false, // the object's own spec: only a change to it can help
  InvalidData: true, // what a store returned: it may change there
  NotSupported: false,
  Conflict: true, // an optimistic-concurrency race: the next try reads the new version
  TargetConflict: false, // the target cannot be written as asked (immutable, owned by another)
  // The operator's policy forbids what the object asks (the controller's own credentials, a token
  // audience): only a change to the object, or a restart with other flags, can help.
  PolicyRefused: false,
  // The egress policy refused the address a store's host resolved to. Retried, slowly: DNS may
  // answer differently later and the operator may allow the address (a restart), and neither
  // wakes the object; EgressDeniedError asks for a long floor so a refused store is not hammered.
  EgressDenied: true,
  Internal: true,
};

export function isRetryableCode(code: ErrorCode): boolean {
  return retryableByCode[code];
}

export class HushError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;

  /** Protected: construct one of the classes below, so the class always matches the code. */
  protected constructor(code: ErrorCode, message: string, options: HushErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = `${code}Error`;
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Whether trying again, with nothing changed on our side, can succeed. */
  get retryable(): boolean {
    return retryableByCode[this.code];
  }

  /** The same error (class, code, fields) with `context: ` in front of its message; the original becomes the cause. */
  withContext<E extends HushError>(this: E, context: string): E {
    return derive(this, `${context}: ${this.message}`, { cause: this });
  }

  /** The same error with another message (for example with values redacted); the cause is kept. */
  withMessage<E extends HushError>(this: E, message: string): E {
    return derive(this, message, {});
  }

  /** The same error, asking to be retried no sooner than `ms` from now. */
  withRetryAfter<E extends HushError>(this: E, ms: number): E {
    return derive(this, this.message, { retryAfterMs: ms });
  }

}

function derive<E extends HushError>(from: E, message: string, change: { cause?: unknown; retryAfterMs?: number }): E {
  // A shallow copy keeps every field a subclass added (KubeApiError's status, TemplateError's
  // line) and the prototype, so `instanceof` and `code` survive any number of wraps.
  const copy = Object.create(Object.getPrototypeOf(from) as object) as E;
  Object.assign(copy, from);
  const hidden = (value: unknown) => ({ value, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(copy, 'message', hidden(message));
  const cause = 'cause' in change ? change.cause : from.cause;
  if (cause !== undefined) Object.defineProperty(copy, 'cause', hidden(cause));
  if (change.retryAfterMs !== undefined) Object.defineProperty(copy, 'retryAfterMs', { ...hidden(change.retryAfterMs), enumerable: true });
  // withContext links the original as cause (its stack is there); the others replace it, so keep its stack.
  const frames = 'cause' in change ? '    (wrapped; see cause)' : (from.stack ?? '').split('\n').slice(1).join('\n');
  Object.defineProperty(copy, 'stack', hidden(`${from.name}: ${message}\n${frames}`));
  return copy;
}

export class NotFoundError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('NotFound', message, options);
  }
}
export class PropertyNotFoundError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('PropertyNotFound', message, options);
  }
}
export class AuthError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('AuthFailed', message, options);
  }
}
export class AccessDeniedError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('AccessDenied', message, options);
  }
}
export class ThrottledError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('Throttled', message, options);
  }
}
export class UnavailableError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('Unavailable', message, options);
  }
}
export class TimeoutError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('Timeout', message, options);
  }
}
export class InvalidConfigError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('InvalidConfig', message, options);
  }
}
export class InvalidSpecError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('InvalidSpec', message, options);
  }
}
export class InvalidDataError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('InvalidData', message, options);
  }
}
export class NotSupportedError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('NotSupported', message, options);
  }
}
export class ConflictError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('Conflict', message, options);
  }
}
export class TargetConflictError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('TargetConflict', message, options);
  }
}
export class PolicyRefusedError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('PolicyRefused', message, options);
  }
}

/** How long an EgressDenied failure waits at least before the next try. */
export const EGRESS_DENIED_RETRY_MS = 5 * 60_000;

/** The egress policy (src/net/egress.ts) refused the address a connection would have gone to. */
export class EgressDeniedError extends HushError {
  constructor(message: string, options: HushErrorOptions = {}) {
    super('EgressDenied', message, { ...options, retryAfterMs: options.retryAfterMs ?? EGRESS_DENIED_RETRY_MS });
  }
}
export class InternalError extends HushError {
  constructor(message: string, options?: HushErrorOptions) {
    super('Internal', message, options);
  }
}

const classByCode: Readonly<Record<ErrorCode, new (message: string, options?: HushErrorOptions) => HushError>> = {
  NotFound: NotFoundError,
  PropertyNotFound: PropertyNotFoundError,
  AuthFailed: AuthError,
  AccessDenied: AccessDeniedError,
  Throttled: ThrottledError,
  Unavailable: UnavailableError,
  Timeout: TimeoutError,
  InvalidConfig: InvalidConfigError,
  InvalidSpec: InvalidSpecError,
  InvalidData: InvalidDataError,
  NotSupported: NotSupportedError,
  Conflict: ConflictError,
  TargetConflict: TargetConflictError,
  PolicyRefused: PolicyRefusedError,
  EgressDenied: EgressDeniedError,
  Internal: InternalError,
};

/** An error of the class for `code`, where the code is chosen at run time (an HTTP status, a store's answer). */
export function errorForCode(code: ErrorCode, message: string, options?: HushErrorOptions): HushError {
  return new classByCode[code](message, options);
}

export function isHushError(err: unknown): err is HushError {
  return err instanceof HushError;
}

/** Whether `err` is a HushError with one of these codes (the one way to classify errors). */
export function hasCode(err: unknown, ...codes: ErrorCode[]): err is HushError {
  return err instanceof HushError && codes.includes(err.code);
}

/**
 * `err` as a HushError: itself when it is one, else an Internal error whose message is
 * describeError's and whose cause is the original (nothing is lost for debugging).
 */
export function asHushError(err: unknown): HushError {
  return err instanceof HushError ? err : new InternalError(describeError(err), { cause: err });
}

/** A message safe to show: HushError messages are written to be; others are not trusted. */
export function describeError(err: unknown): string {
  if (err instanceof HushError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
