/**
 * Splits a byte stream into lines without holding more than one partial line.
 * A watch response is one JSON document per line, and a single line can be
 * split across many TCP chunks (or many lines can share one chunk).
 */
import { StringDecoder } from 'node:string_decoder';

export class LineTooLongError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`a line is longer than ${limit} bytes`);
    this.name = 'LineTooLongError';
    this.limit = limit;
  }
}

/**
 * `maxLineBytes` caps one line: a stream that never sends a newline would
 * otherwise grow `pending` without end. The bytes after the last newline are
 * counted per chunk, so the check costs nothing per byte and the buffer never
 * holds more than the cap plus one chunk.
 */
export async function* readLines(
  chunks: AsyncIterable<Buffer | string>,
  onChunk?: () => void,
  maxLineBytes = Number.POSITIVE_INFINITY,
): AsyncGenerator<string> {
  // The decoder keeps a multi-byte UTF-8 character that straddles two chunks intact.
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let partial = 0;
  for await (const chunk of chunks) {
    onChunk?.();
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const lastNl = buf.lastIndexOf(10);
    partial = lastNl < 0 ? partial + buf.length : buf.length - lastNl - 1;
    if (partial > maxLineBytes) throw new LineTooLongError(maxLineBytes);
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    let nl: number;
    while ((nl = pending.indexOf('\n', start)) >= 0) {
      const line = pending.slice(start, nl).trim();
      start = nl + 1;
      if (line !== '') yield line;
    }
    pending = pending.slice(start);
  }
  pending += decoder.end();
  const last = pending.trim();
  if (last !== '') yield last;
}
