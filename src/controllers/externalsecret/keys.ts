/**
 * Secret key handling for dataFrom: conversion (conversionStrategy), rewrite
 * (rewrite[].regexp), and validation, in ESO's order:
 *   provider keys → rewrite (if any) else conversion → validation → decoding.
 */
import { asHushError, InvalidDataError, InvalidSpecError } from '../../util/errors.ts';
import { TemplateError } from '../../template/index.ts';
import { renderTemplates, type JobRunner } from '../../sandbox/index.ts';
import { compileGoRegexp } from '../../util/goregexp.ts';

export type ConversionStrategy = 'Default' | 'Unicode';

const allowedRune = /^[\p{L}\p{N}._-]$/u;

/** Replaces every character a Secret key cannot hold: `_` (Default) or `_U<hex>_` (Unicode). */
export function convertKey(key: string, strategy: ConversionStrategy | undefined): string {
  let out = '';
  for (const ch of key) {
    if (allowedRune.test(ch)) out += ch;
    else if (strategy === 'Unicode') out += `_U${ch.codePointAt(0)!.toString(16).padStart(4, '0')}_`;
    else out += '_';
  }
  return out;
}

/** Converts every key of a map; two source keys that become one is an error. */
export function convertKeys(data: Map<string, Uint8Array>, strategy: ConversionStrategy | undefined, field: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const from = new Map<string, string>();
  for (const [key, value] of data) {
    const converted = convertKey(key, strategy);
    const earlier = from.get(converted);
    if (earlier !== undefined && earlier !== key) {
      // InvalidData, so retried with backoff: the keys come from the store and may change there.
      throw new InvalidDataError(
        `${field}: keys "${earlier}" and "${key}" both convert to "${converted}"; use conversionStrategy: Unicode or a rewrite to keep them apart`,
      );
    }
    from.set(converted, key);
    out.set(converted, value);
  }
  return out;
}

export interface RegexpRewrite {
  regexp?: { source: string; target: string };
  transform?: { template: string };
  merge?: unknown;
}

/**
 * Applies rewrite[] in order to every key: regexp (Go ReplaceAllString) or
 * transform (a template that sees the key as .value). merge is rejected by
 * validation before we get here. A transform renders all keys of one step as
 * one batch in the sandbox (off the event loop: the template is the tenant's).
 */
export async function rewriteKeys(data: Map<string, Uint8Array>, rewrites: RegexpRewrite[], field: string, runner?: JobRunner): Promise<Map<string, Uint8Array>> {
  let current = data;
  for (const [i, rw] of rewrites.entries()) {
    const at = `${field}.rewrite[${i}]`;
    let names: string[];
    const keys = [...current.keys()];
    if (rw.regexp) {
      const re = compileGoRegexp(rw.regexp.source, { field: `${at}.regexp.source` });
      const target = rw.regexp.target;
      names = keys.map((key) => re.replaceAll(key, target));
    } else if (rw.transform) {
      const text = rw.transform.template;
      // ESO's transform template runs with Go's default missingkey: a missing field prints "<no value>".
      const jobs = keys.map((key) => ({ text, data: { value: key }, name: 'transform', missingKey: 'default' as const }));
      let results;
      try {
        results = await renderTemplates(jobs, runner);
      } catch (err) {
        throw asHushError(err).withContext(`${at}.transform.template`);
      }
      names = results.map((r) => {
        if ('error' in r) throw r.error instanceof TemplateError ? r.error.withContext(`${at}.transform.template`) : r.error;
        return Buffer.from(r.bytes).toString('utf8');
      });
    } else {
      throw new InvalidSpecError(`${at}: set regexp or transform`);
    }
    const next = new Map<string, Uint8Array>();
    keys.forEach((key, j) => next.set(names[j]!, current.get(key)!));
    current = next;
  }
  return current;
}

/**
 * ESO's key validation: empty keys are dropped silently; keys longer than
 * 253 characters or with characters a Secret key cannot hold are errors.
 */
export function validateKeys(data: Map<string, Uint8Array>, field: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [key, value] of data) {
    if (key === '') continue;
    if (key.length > 253) throw new InvalidDataError(`${field}: key "${key.slice(0, 40)}..." is longer than 253 characters`);
    for (const ch of key) {
      if (!allowedRune.test(ch)) {
        throw new InvalidDataError(
          `${field}: key "${key}" has the character "${ch}", which a Secret key cannot hold; add a rewrite or set conversionStrategy`,
        );
      }
    }
    out.set(key, value);
  }
  return out;
}
