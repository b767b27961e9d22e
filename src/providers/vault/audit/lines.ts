/**
 * Splits a byte stream into newline-terminated lines, holding at most
 * `maxBytes` of an unfinished line. A longer line is skipped to its end and
 * reported by size only (its content may be a secret's HMAC, or with
 * log_raw=true the secret itself).
 */
export interface LineSink {
  line(text: string): void;
  oversized(bytes: number): void;
}

const NL = 0x0a;

export class LineSplitter {
  private readonly maxBytes: number;
  private readonly sink: LineSink;
  private parts: Buffer[] = [];
  private held = 0;
  /** Bytes of an oversized line skipped so far; undefined while not skipping. */
  private skipped: number | undefined;

  constructor(maxBytes: number, sink: LineSink) {
    this.maxBytes = maxBytes;
    this.sink = sink;
  }

  /** True when part of a line is waiting for its newline. */
  get pending(): boolean {
    return this.held > 0 || this.skipped !== undefined;
  }

  push(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(NL, from);
      const end = nl < 0 ? chunk.length : nl;
      this.take(chunk.subarray(from, end));
      if (nl < 0) return;
      this.finishLine();
      from = nl + 1;
    }
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.skipped !== undefined) {
      this.skipped += piece.length;
      return;
    }
    if (this.held + piece.length > this.maxBytes) {
      // Drop what is held at once: memory stays bounded by maxBytes whatever the sender does.
      this.skipped = this.held + piece.length;
      this.parts = [];
      this.held = 0;
      return;
    }
    // A copy: the chunk's buffer may be pooled and reused by the socket.
    this.parts.push(Buffer.from(piece));
    this.held += piece.length;
  }

  private finishLine(): void {
    if (this.skipped !== undefined) {
      const n = this.skipped;
      this.skipped = undefined;
      this.sink.oversized(n);
      return;
    }
    const text = Buffer.concat(this.parts, this.held).toString('utf8');
    this.parts = [];
    this.held = 0;
    this.sink.line(text);
  }
}
