/**
 * The server a Vault/OpenBao `socket` audit device connects to. It reads
 * newline-delimited JSON records and publishes each successful write to the
 * hub. Limits: at most `maxConnections` senders, at most `maxLineBytes` held
 * per sender. It never stops reading: a socket device that cannot write
 * blocks the Vault request it is auditing for up to its write_timeout, so a
 * slow reader here would slow Vault; what cannot be held is dropped (and the
 * hub told, so that stores fall back to their timer) instead.
 *
 * Logs name the path and operation of a record at most, never its content.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { lstatSync, unlinkSync } from 'node:fs';
import { UnavailableError } from '../../../util/errors.ts';
import type { Logger } from '../../../util/log.ts';
import type { ListenAddress } from './address.ts';
import type { AuditHub } from './hub.ts';
import { LineSplitter } from './lines.ts';
import { parseAuditLine } from './record.ts';

/** A KV record with HMAC'd values is about 1.5 KiB plus ~90 bytes a field; 1 MiB is thousands of fields. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
/** One connection per audit device per Vault node: a few HA clusters fit. */
export const DEFAULT_MAX_CONNECTIONS = 32;

export interface AuditListenerOptions {
  address: ListenAddress;
  hub: AuditHub;
  logger: Logger;
  maxLineBytes?: number;
  maxConnections?: number;
}

export interface AuditListenerStats {
  connections: number;
  records: number;
  writes: number;
  oversized: number;
  invalid: number;
}

export class AuditListener {
  private readonly o: Required<Omit<AuditListenerOptions, 'address'>> & { address: ListenAddress };
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private closing = false;
  readonly stats: AuditListenerStats = { connections: 0, records: 0, writes: 0, oversized: 0, invalid: 0 };

  private constructor(o: AuditListenerOptions) {
    this.o = { maxLineBytes: DEFAULT_MAX_LINE_BYTES, maxConnections: DEFAULT_MAX_CONNECTIONS, ...o };
    this.server = createServer({ allowHalfOpen: false }, (s) => this.accept(s));
    // Node closes connections beyond this itself and emits 'drop'.
    this.server.maxConnections = this.o.maxConnections;
    this.server.on('drop', (d) => this.o.logger.warn('vault audit listener: connection refused, too many open', { max: this.o.maxConnections, remote: d?.remoteAddress }));
  }

  static async start(o: AuditListenerOptions): Promise<AuditListener> {
    const l = new AuditListener(o);
    await l.listen();
    return l;
  }

  /** Where it listens: "host:port" (with the real port when 0 was asked for) or the socket path. */
  get address(): string {
    const a = this.server.address();
    if (typeof a === 'string') return a;
    if (a === null) return '';
    return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  private listen(): Promise<void> {
    const a = this.o.address;
    if (a.kind === 'unix') removeStaleSocket(a.path);
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new UnavailableError(`vault audit listener: cannot listen on ${describe(a)}: ${err.message}`, { cause: err }));
      this.server.once('error', onError);
      const ready = (): void => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.fail(`listener error: ${err.message}`));
        this.o.logger.info('vault audit listener started', { address: this.address });
        resolve();
      };
      if (a.kind === 'unix') this.server.listen(a.path, ready);
      else this.server.listen(a.port, a.host, ready);
    });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    this.stats.connections++;
    const remote = socket.remoteAddress ?? 'unix';
    this.o.logger.info('vault audit device connected', { remote });
    const splitter = new LineSplitter(this.o.maxLineBytes, {
      line: (text) => this.onLine(text),
      oversized: (bytes) => {
        this.stats.oversized++;
        this.o.logger.warn('vault audit listener: record dropped, longer than the limit', { bytes, maxLineBytes: this.o.maxLineBytes });
        this.o.hub.lost(`an audit record of ${bytes} bytes was longer than ${this.o.maxLineBytes} and was dropped`);
      },
    });
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    // A reset is an ordinary end here (Vault restarted); 'close' below follows it.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (this.closing) return;
      this.o.logger.info('vault audit device disconnected', { remote });
      if (splitter.pending) this.o.hub.lost('an audit device disconnected in the middle of a record');
    });
  }

  private onLine(text: string): void {
    const parsed = parseAuditLine(text);
    if (parsed.kind === 'ignored') {
      this.stats.records++;
      return;
    }
    if (parsed.kind === 'invalid') {
      this.stats.invalid++;
      // Its content is not logged: it may be a record in a format we do not read (jsonx), values and all.
      this.o.logger.warn('vault audit listener: a line that is not a JSON audit record was dropped (is the device\'s format "json"?)', { bytes: text.length });
      this.o.hub.lost('an audit line could not be read');
      return;
    }
    this.stats.records++;
    this.stats.writes++;
    const w = parsed.write;
    this.o.logger.debug('vault audit: write', { path: w.path, operation: w.operation, ...(w.namespace ? { namespace: w.namespace } : {}) });
    this.o.hub.publish(w);
  }

  private fail(reason: string): void {
    this.o.logger.error(`vault audit listener: ${reason}`);
    this.o.hub.lost(reason);
  }

  /** Stops listening, closes every connection and tells the hub (its subscribers fall back to polling). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.o.hub.close('the audit listener stopped');
  }
}

function describe(a: ListenAddress): string {
  return a.kind === 'unix' ? `unix:${a.path}` : `${a.host ?? '*'}:${a.port}`;
}

/** A socket file left by an earlier run would make listen fail; anything else at the path is left alone. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // absent: nothing to remove
  }
}
