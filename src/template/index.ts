/**
 * Public API of the template engine: Go text/template + sprig + ESO helpers,
 * rendering byte for byte as ESO does. Pure: no I/O, no environment, no clock
 * except `now` (overridable for tests).
 *
 *   renderTemplate('{{ .user }}:{{ .pass | b64enc }}', { user: 'u', pass: 'p' })
 */
import { TemplateError } from './errors.ts';
import { ExecError, Executor, type MissingKey } from './exec.ts';
import { defaultFuncs } from './funcs.ts';
import { isBuiltin } from './builtins.ts';
import { fromText, toBytes, toText } from './gostr.ts';
import { LimitExceeded, withBudget } from './limits.ts';
import { ParseError, parseTrees, type Tree } from './parse.ts';
import { toGoData, type TemplateData } from './convert.ts';
import type { GoFunc } from './values.ts';
import { nowFunc } from './sprig/date.ts';
import { parse as parseTime } from './gotime/layout.ts';
import { fromDate, LOCAL, UTC, type GoTime } from './gotime/time.ts';

export { TemplateError } from './errors.ts';
export type { TemplateData } from './convert.ts';
export type { GoValue, GoFunc } from './values.ts';

export interface TemplateOptions {
  /** Template name used in error messages (ESO uses the data key). Default "template". */
  name?: string;
  leftDelim?: string;
  rightDelim?: string;
  /** Go's missingkey option; ESO always uses "error", which is the default here. */
  missingKey?: MissingKey;
  /** Evaluation steps before the render is stopped. Default 1,000,000. */
  maxSteps?: number;
  /** Output bytes (and largest value a function may build). Default 1 MiB, a Secret's size limit. */
  maxOutputBytes?: number;
  /** Nesting depth of {{template}} calls. Default 1000 (Go allows 100000; JS stacks are smaller). */
  maxDepth?: number;
  /** Extra or replacement functions. */
  funcs?: readonly GoFunc[];
  /**
   * Pins what `now` returns (tests, reproducible renders): a Date, or an
   * RFC 3339 string, which keeps its zone offset as Go's time.Parse would.
   */
  now?: Date | string;
}

export const DEFAULT_MAX_STEPS = 1_000_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;
export const DEFAULT_MAX_DEPTH = 1000;

export class ParsedTemplate {
  readonly name: string;
  private readonly trees: Map<string, Tree>;
  private readonly funcs: Map<string, GoFunc>;
  private readonly builtins: Set<string>;
  private readonly opts: TemplateOptions;

  constructor(name: string, trees: Map<string, Tree>, funcs: Map<string, GoFunc>, builtins: Set<string>, opts: TemplateOptions) {
    this.name = name;
    this.trees = trees;
    this.funcs = funcs;
    this.builtins = builtins;
    this.opts = opts;
  }

  /** Names of the templates this text defines (itself, define and block). */
  templateNames(): string[] {
    return [...this.trees.keys()];
  }

  /** Renders to bytes, as ESO stores them in the Secret. */
  executeBytes(data: TemplateData): Buffer {
    const maxOutputBytes = this.opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const env = {
      trees: this.trees,
      funcs: this.funcs,
      builtins: this.builtins,
      missingKey: this.opts.missingKey ?? 'error',
      maxOutputBytes,
      maxDepth: this.opts.maxDepth ?? DEFAULT_MAX_DEPTH,
    };
    const goData = toGoData(data);
    try {
      const budget = { maxSteps: this.opts.maxSteps ?? DEFAULT_MAX_STEPS, maxOutputBytes, steps: 0 };
      const out = withBudget(budget, () => new Executor(env, this.name, goData).run(this.trees.get(this.name), goData));
      return toBytes(out);
    } catch (e) {
      throw toTemplateError(e, this.name);
    }
  }

  /** Renders to text (invalid UTF-8 in the output becomes U+FFFD). */
  execute(data: TemplateData): string {
    return this.executeBytes(data).toString('utf8');
  }
}

function toTemplateError(e: unknown, name: string): TemplateError {
  if (e instanceof TemplateError) return e;
  if (e instanceof ExecError) {
    return new TemplateError(toText(e.message), { templateName: name, phase: 'execute', line: e.line, column: e.col, cause: e });
  }
  if (e instanceof LimitExceeded) {
    return new TemplateError(`template: ${toText(name)}: ${e.message}`, { templateName: name, phase: 'limit', cause: e });
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new TemplateError(`template: ${toText(name)}: template nesting is too deep`, { templateName: name, phase: 'limit', cause: e });
  }
  throw e;
}

let defaultTable: [Map<string, GoFunc>, Set<string>] | undefined;

function buildFuncs(extra: readonly GoFunc[] | undefined): [Map<string, GoFunc>, Set<string>] {
  if (extra === undefined || extra.length === 0) return (defaultTable ??= buildTable(undefined));
  return buildTable(extra);
}

function buildTable(extra: readonly GoFunc[] | undefined): [Map<string, GoFunc>, Set<string>] {
  const funcs = new Map<string, GoFunc>();
  for (const f of defaultFuncs()) funcs.set(f.name, f);
  for (const f of extra ?? []) funcs.set(f.name, f);
  // A builtin keeps Go's special evaluation only while nothing replaced it (sprig replaces `slice`).
  const builtins = new Set<string>();
  for (const [name, f] of funcs) if (isBuiltin(f)) builtins.add(name);
  return [funcs, builtins];
}

function pinnedNow(now: Date | string): GoTime {
  if (now instanceof Date) return fromDate(now);
  try {
    return parseTime('2006-01-02T15:04:05.999999999Z07:00', fromText(now), UTC, LOCAL);
  } catch (e) {
    throw new TemplateError(`invalid "now" option: ${(e as Error).message}`, { templateName: 'template', phase: 'parse', cause: e });
  }
}

/** Parses a template (text is JS text; it is handled as its UTF-8 bytes, as Go does). */
export function parseTemplate(text: string, opts: TemplateOptions = {}): ParsedTemplate {
  const name = fromText(opts.name ?? 'template');
  const [funcs, builtins] = buildFuncs(opts.now === undefined ? opts.funcs : [...(opts.funcs ?? []), nowFunc(pinnedNow(opts.now))]);
  let trees: Map<string, Tree>;
  try {
    trees = parseTrees(name, fromText(text), {
      leftDelim: opts.leftDelim === undefined ? undefined : fromText(opts.leftDelim),
      rightDelim: opts.rightDelim === undefined ? undefined : fromText(opts.rightDelim),
      hasFunction: (fname) => funcs.has(fname),
    });
  } catch (e) {
    if (e instanceof ParseError) {
      throw new TemplateError(toText(e.message), { templateName: name, phase: 'parse', line: e.line, cause: e });
    }
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new TemplateError(`template: ${toText(name)}: max expression depth exceeded`, { templateName: name, phase: 'parse', cause: e });
    }
    throw e;
  }
  return new ParsedTemplate(name, trees, funcs, builtins, opts);
}

/** Parses and renders in one go; returns text. */
export function renderTemplate(text: string, data: TemplateData, opts: TemplateOptions = {}): string {
  return parseTemplate(text, opts).execute(data);
}

/** Parses and renders in one go; returns the exact bytes (what goes into a Secret). */
export function renderTemplateBytes(text: string, data: TemplateData, opts: TemplateOptions = {}): Buffer {
  return parseTemplate(text, opts).executeBytes(data);
}
