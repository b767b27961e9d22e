/**
 * Splits a byte stream into lines without holding more than one partial line.
 * A watch response is one JSON document per line, and a single line can be
 * split across many TCP chunks (or many lines can share one chunk).
 */
import { StringDecoder } from 'node:string_decoder';

export async function* readLines(
  chunks: AsyncIterable<Buffer | string>,
  onChunk?: () => void,
): AsyncGenerator<string> {
  // The decoder keeps a multi-byte UTF-8 character that straddles two chunks intact.
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of chunks) {
    onChunk?.();
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
