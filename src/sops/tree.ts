/**
 * The in-memory shape of a SOPS document, modelled on how sops itself sees a
 * file: an ordered list of documents, each an ordered map whose entries are
 * key/value pairs or comments. Order matters (the MAC hashes values in walk
 * order) and comments are entries in their own right (they are encrypted and
 * steer the comment-based encryption rules), so plain JS objects will not do.
 *
 * Scalars keep the type sops would give them, because the type decides both
 * the bytes that are encrypted and the `type:` tag of the ENC[...] string.
 */

/** A comment line's text after the `#`, leading space included. */
export interface CommentNode {
  readonly kind: 'comment';
  text: string;
  /** Written on the same line as the value that follows it in the tree. */
  inline: boolean;
}

/** An integer, kept as its decimal text so int64 values survive intact. */
export interface IntNode {
  readonly kind: 'int';
  text: string;
}

export interface FloatNode {
  readonly kind: 'float';
  value: number;
}

/** A timestamp, kept as Go's `time.Time.MarshalText` form (RFC 3339 with nanoseconds). */
export interface TimeNode {
  readonly kind: 'time';
  text: string;
}

/**
 * A string whose bytes are not valid UTF-8 (binary files). sops keeps Go
 * strings as raw bytes; this keeps them too, and writes them with `type:str`.
 */
export interface BytesNode {
  readonly kind: 'bytes';
  data: Buffer;
}

export interface MapEntry {
  readonly kind: 'entry';
  key: string;
  value: Value;
}

export type MapItem = MapEntry | CommentNode;

export interface MapNode {
  readonly kind: 'map';
  items: MapItem[];
}

export type Scalar = string | boolean | IntNode | FloatNode | TimeNode | BytesNode;
/** A sequence may hold comments between its items, as a map does. */
export type Value = Scalar | null | MapNode | Value[] | CommentNode;

/** The things the walk hands to its callback: every scalar and every comment. */
export type Leaf = Scalar | CommentNode;

export function mapNode(items: MapItem[] = []): MapNode {
  return { kind: 'map', items };
}
export function entry(key: string, value: Value): MapEntry {
  return { kind: 'entry', key, value };
}
export function comment(text: string, inline = false): CommentNode {
  return { kind: 'comment', text, inline };
}
export function int(text: string | number | bigint): IntNode {
  return { kind: 'int', text: String(text) };
}
export function float(value: number): FloatNode {
  return { kind: 'float', value };
}

export function isMap(v: Value): v is MapNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'map';
}
export function isComment(v: unknown): v is CommentNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { kind?: unknown }).kind === 'comment';
}

/** Looks up a plain key in a map (first match, as sops does). */
export function getEntry(map: MapNode, key: string): MapEntry | undefined {
  for (const item of map.items) if (item.kind === 'entry' && item.key === key) return item;
  return undefined;
}

/**
 * Visits every scalar and comment in document order and replaces it with what
 * the callback returns, exactly as sops' walkBranch/walkSlice do:
 * - `path` holds map keys only (sequence indices are not part of it);
 * - a comment is visited with its container's path;
 * - `commentStack` has one frame per nesting level with the comments seen
 *   since the last non-comment item at that level (the comment rules read it);
 * - nulls are neither visited nor changed.
 * Returns a new tree; the input is not modified.
 */
export type LeafVisitor = (leaf: Leaf, path: readonly string[], commentStack: readonly (readonly string[])[]) => Leaf;

export function walkMap(map: MapNode, visit: LeafVisitor, path: string[] = [], stack: string[][] = []): MapNode {
  const frame: string[] = [];
  const inner = [...stack, frame];
  const items: MapItem[] = [];
  for (const item of map.items) {
    if (item.kind === 'comment') {
      frame.push(item.text);
      const out = visit(item, path, inner);
      items.push(isComment(out) ? out : comment(typeof out === 'string' ? out : '', item.inline));
      continue;
    }
    items.push(entry(item.key, walkValue(item.value, visit, [...path, item.key], inner)));
    frame.length = 0;
  }
  return mapNode(items);
}

function walkSeq(seq: Value[], visit: LeafVisitor, path: string[], stack: string[][]): Value[] {
  const frame: string[] = [];
  const inner = [...stack, frame];
  const out: Value[] = [];
  for (const item of seq) {
    if (isComment(item)) {
      frame.push(item.text);
      const v = visit(item, path, inner);
      // sops 3.13.2 turns an encrypted comment in a sequence into a list item
      // (getsops/sops#2243) and then fails its own MAC check; keep it a comment
      // as 3.13.1 and earlier do.
      out.push(isComment(v) ? v : comment(typeof v === 'string' ? v : '', item.inline));
      continue;
    }
    out.push(walkValue(item, visit, path, inner));
    frame.length = 0;
  }
  return out;
}

function walkValue(v: Value, visit: LeafVisitor, path: string[], stack: string[][]): Value {
  if (v === null) return null;
  if (Array.isArray(v)) return walkSeq(v, visit, path, stack);
  if (isMap(v)) return walkMap(v, visit, path, stack);
  return visit(v, path, stack);
}
