/**
 * Errors across the thread boundary. A worker cannot hand an Error object to
 * the main thread with its class intact (structured clone keeps only the
 * built-in Error types), so a failure travels as data — its class name, code,
 * message and own fields — and is rebuilt on the other side as an error of the
 * same class. Callers then classify it exactly as an in-process failure:
 * `instanceof TemplateError`, `hasCode(err, 'InvalidSpec')`, `err.phase`.
 *
 * Causes travel too (a few levels deep), as plain errors that keep their name
 * and message, so nothing a debugger would have seen in-process is lost.
 */
import { TemplateError, type TemplatePhase } from '../template/errors.ts';
import { DataKeyError, MacMismatchError, MacNotFoundError } from '../sops/errors.ts';
import { errorForCode, HushError, InternalError, type ErrorCode } from '../util/errors.ts';

export interface WireError {
  /** The class to rebuild: a name from `revivers`, else the class of `code`. */
  cls: string;
  code: ErrorCode | undefined;
  name: string;
  message: string;
  /** Own enumerable fields (TemplateError's line, retryAfterMs, ...), primitives only. */
  fields: Record<string, string | number | boolean | null>;
  cause?: WireError;
}

type Fields = WireError['fields'];

/** Classes that need more than (message) to be rebuilt, or whose identity callers test with instanceof. */
const revivers: Record<string, (message: string, f: Fields) => HushError> = {
  TemplateError: (message, f) =>
    new TemplateError(message, {
      templateName: String(f.templateName ?? 'template'),
      phase: (f.phase ?? 'execute') as TemplatePhase,
      ...(typeof f.line === 'number' ? { line: f.line } : {}),
      ...(typeof f.column === 'number' ? { column: f.column } : {}),
    }),
  MacMismatchError: (message) => new MacMismatchError(message),
  MacNotFoundError: (message) => new MacNotFoundError(message),
  DataKeyError: (message) => new DataKeyError(message),
};

const MAX_CAUSE_DEPTH = 4;

export function toWire(err: unknown, depth = 0): WireError {
  const fields: Fields = {};
  let w: WireError;
  if (err instanceof Error) {
    for (const [k, v] of Object.entries(err as object) as [string, unknown][]) {
      if (k === 'code' || k === 'cause') continue;
      if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = v;
    }
    const ctor = (err.constructor as { name?: unknown }).name;
    const cls = err instanceof HushError ? (typeof ctor === 'string' && Object.hasOwn(revivers, ctor) ? ctor : 'HushError') : 'Error';
    w = { cls, code: err instanceof HushError ? err.code : undefined, name: err.name, message: err.message, fields };
    if (err.cause !== undefined && depth < MAX_CAUSE_DEPTH) w.cause = toWire(err.cause, depth + 1);
  } else {
    w = { cls: 'Error', code: undefined, name: 'Error', message: String(err), fields };
  }
  return w;
}

/** The error `w` describes, as the same class; a non-Hush error becomes an Internal error naming it. */
export function fromWire(w: WireError): HushError {
  const revived = revive(w);
  return revived instanceof HushError ? revived : new InternalError(`${w.name}: ${w.message}`, { cause: revived });
}

function revive(w: WireError): Error {
  const cause = w.cause === undefined ? undefined : revive(w.cause);
  let err: Error;
  if (w.code === undefined) {
    err = new Error(w.message, cause === undefined ? undefined : { cause });
    err.name = w.name;
  } else {
    const make = revivers[w.cls];
    err = make ? make(w.message, w.fields) : errorForCode(w.code, w.message);
    // The constructors above take no cause; set it as Error's constructor would (not enumerable).
    if (cause !== undefined) Object.defineProperty(err, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
  }
  for (const [k, v] of Object.entries(w.fields)) Object.defineProperty(err, k, { value: v, writable: true, configurable: true, enumerable: true });
  return err;
}
