/**
 * Whether a store's answer changed, for stores that give no version marker.
 *
 * A SHA-256 over a canonical encoding of the payload (whatever shape the provider
 * chose: bytes, strings, Maps, JSON objects, JsonNumbers, Dates). It lives only in
 * memory, next to the value it was computed from, and is never logged, exported
 * or written anywhere: a digest of a low-entropy secret is as good as the secret.
 */
import { createHash, type Hash } from 'node:crypto';
import type { RawSecret } from '../providers/types.ts';

/** The change identity of an answer: the store's version when it has one, else a digest of the payload. */
export function changeMarker(raw: RawSecret): string {
  if (raw.version !== undefined) return `v:${raw.version}`;
  const h = createHash('sha256');
  feed(h, raw.payload, 0);
  return `d:${h.digest('base64')}`;
}

function feed(h: Hash, v: unknown, depth: number): void {
  if (depth > 64) {
    h.update('\u0000deep');
    return;
  }
  if (v === null || v === undefined) h.update(v === null ? 'n' : 'u');
  else if (typeof v === 'string') h.update(`s${v.length}:`).update(v);
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') h.update(`p${typeof v}:${String(v)};`);
  else if (v instanceof Uint8Array) h.update(`b${v.length}:`).update(v);
  else if (v instanceof Date) h.update(`t${v.getTime()};`);
  else if (v instanceof Map) {
    h.update(`m${v.size}{`);
    for (const [k, x] of v) {
      feed(h, k, depth + 1);
      feed(h, x, depth + 1);
    }
    h.update('}');
  } else if (Array.isArray(v)) {
    h.update(`a${v.length}[`);
    for (const x of v) feed(h, x, depth + 1);
    h.update(']');
  } else if (typeof v === 'object') {
    // Class instances with a literal (JsonNumber) or a string form count by it; key order is the store's.
    const lit = (v as { literal?: unknown }).literal;
    if (typeof lit === 'string') {
      h.update(`#${lit.length}:`).update(lit);
      return;
    }
    const keys = Object.keys(v);
    h.update(`o${keys.length}{`);
    for (const k of keys) {
      h.update(`${k.length}:`).update(k);
      feed(h, (v as Record<string, unknown>)[k], depth + 1);
    }
    h.update('}');
  } else h.update(`?${typeof v}`);
}
