/**
 * Secret marks: which values of a render derive from the template's input
 * data (the store's values). The executor wraps such a value in `Marked`
 * while it passes it around, and unwraps it only to hand it to a function or
 * to print it, so no function needs to know about marks.
 *
 * Why a wrapper and not a side table: most Go values here are JS primitives
 * (a Go string is a JS string), which no WeakMap can key, and a table keyed
 * by the string's content would mark a literal that happens to equal a value.
 * A wrapper marks this occurrence, by construction, and costs one small
 * object per marked value (see docs/bench.md).
 */
import type { GoValue } from './values.ts';

export class Marked {
  readonly v: GoValue;
  constructor(v: GoValue) {
    this.v = v;
  }
}

/** What the executor passes around: a value, or a value marked as derived from secret data. */
export type Val = GoValue | Marked;

export function markSecret(v: GoValue): Marked {
  return new Marked(v);
}

export function unmark(v: Val): GoValue {
  return v instanceof Marked ? v.v : v;
}

/** What a failing function's text becomes when an argument derives from secret data. */
export const WITHHELD = '(details withheld: an argument derives from secret data)';
/** `fail` with such an argument: its text is the secret-derived value itself. */
export const FAIL_WITHHELD = 'fail called with text derived from secret data (withheld)';
