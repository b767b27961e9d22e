/**
 * Errors with stable codes. Every error Hush shows a person carries a code that
 * scripts and alerts can match on, and says whether trying again can help:
 * the controllers use `retryable` to choose between "back off and retry" and
 * "stalled until the object changes" (controller-runtime's terminal errors).
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
  | 'Internal';

export interface HushErrorOptions {
  cause?: unknown;
  /** Overrides the default retryability of the code. */
  retryable?: boolean;
  /** For Throttled: how long the store asked us to wait, in ms. */
  retryAfterMs?: number;
}

const retryableByDefault: Record<ErrorCode, boolean> = {
  NotFound: true, // the key may be created later; back off, do not stall
  PropertyNotFound: true,
  AuthFailed: true, // credentials are often rotated under us
  AccessDenied: true,
  Throttled: true,
  Unavailable: true,
  Timeout: true,
  InvalidConfig: false,
  InvalidSpec: false,
  InvalidData: true,
  NotSupported: false,
  Conflict: true,
  Internal: true,
};

export class HushError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: HushErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = `${code}Error`;
    this.code = code;
    this.retryable = options.retryable ?? retryableByDefault[code];
    this.retryAfterMs = options.retryAfterMs;
  }
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

export function isHushError(err: unknown): err is HushError {
  return err instanceof HushError;
}

/** A message safe to show: HushError messages are written to be; others are not trusted. */
export function describeError(err: unknown): string {
  if (err instanceof HushError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
