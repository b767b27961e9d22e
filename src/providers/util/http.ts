/**
 * A small HTTP(S) client for store APIs: one keep-alive Agent per client (so a
 * store's reads reuse a few connections instead of a TCP+TLS handshake each),
 * a per-request timeout, AbortSignal support, and the store's CA and client
 * certificate. Transport failures come back as HttpTransportError with a kind
 * the caller maps to its error classes; messages carry no request or response bodies.
 *
 * Two limits hold for every user, since store addresses and answers are
 * tenant-controlled: every connection passes the store's egress guard
 * (src/net/guard.ts; a refused address fails with EgressDeniedError), and an
 * answer's body is counted as it streams and the request is aborted once it
 * passes `maxResponseBytes` (InvalidDataError), so a hostile store cannot make
 * the controller buffer gigabytes.
 *
 * `stream()` serves long-lived answers (a Kubernetes watch): the same agent, so
 * the same CA, client certificate and egress guard; the timeout covers only the
 * wait for the answer's head, then an idle timeout applies; and the body is cut
 * into lines, each capped at `maxLineBytes` instead of the whole answer.
 */
import { request as httpRequest } from 'node:http';
import type http from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { EgressGuard } from '../../net/guard.ts';
import { DEFAULT_MAX_RESPONSE_BYTES, responseTooLarge } from '../../net/limits.ts';
import { HushError } from '../../util/errors.ts';

export interface TlsOptions {
  /** PEM CA certificates to trust instead of the system roots. */
  ca?: string[] | undefined;
  /** PEM client certificate (chain) and key for mutual TLS. */
  cert?: string | undefined;
  key?: string | undefined;
}

export interface HttpClientOptions extends TlsOptions {
  /** Default per-request timeout; 30 s unless set. */
  timeoutMs?: number;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  maxSockets?: number;
  /** The egress policy for the store this client serves; every connection passes it. */
  egress: EgressGuard;
  /** Largest answer body accepted, in bytes; 4 MiB unless set. */
  maxResponseBytes?: number | undefined;
}

export interface HttpRequest {
  method: string;
  /** Path (and query) appended to the base URL's path. */
  path: string;
  headers?: Record<string, string | undefined>;
  /** A JSON body (serialised here) or raw text. */
  json?: unknown;
  body?: string;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
}

export interface HttpStreamRequest extends HttpRequest {
  /** Largest line (one event) accepted; a longer one fails the stream with InvalidDataError. */
  maxLineBytes: number;
  /** The stream fails with a 'timeout' HttpTransportError when no byte arrives for this long. */
  idleTimeoutMs: number;
  /** A 2xx answer's head arrived: lines follow. */
  onOpen?(status: number, headers: http.IncomingHttpHeaders): void;
  /** One non-empty line of a 2xx answer (without its newline). A throw ends the stream with that error. */
  onLine(line: Buffer): void;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type TransportErrorKind = 'timeout' | 'aborted' | 'connect' | 'tls' | 'other';

export class HttpTransportError extends Error {
  readonly kind: TransportErrorKind;
  readonly code: string | undefined;
  constructor(kind: TransportErrorKind, message: string, code?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'HttpTransportError';
    this.kind = kind;
    this.code = code;
  }
}

const connectCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);

export class HttpClient {
  readonly baseUrl: URL;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  readonly maxResponseBytes: number;

  constructor(baseUrl: string, options: HttpClientOptions) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported URL scheme ${url.protocol}`);
    this.baseUrl = url;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.headers = options.headers ?? {};
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const common = { keepAlive: true, maxSockets: options.maxSockets ?? 8, keepAliveMsecs: 15_000 };
    this.agent =
      url.protocol === 'https:'
        ? options.egress.agent('https:', {
            ...common,
            ...(options.ca && options.ca.length > 0 ? { ca: options.ca } : {}),
            ...(options.cert ? { cert: options.cert } : {}),
            ...(options.key ? { key: options.key } : {}),
          })
        : options.egress.agent('http:', common);
  }

  /**
   * Sends one request. Rejects with HttpTransportError for transport failures, and with a
   * HushError (EgressDeniedError, or InvalidDataError for an answer over the size limit) for
   * what the limits refused; callers pass HushErrors on unchanged.
   */
  request(req: HttpRequest): Promise<HttpResponse> {
    return this.send(req, undefined);
  }

  /**
   * A long-lived request whose 2xx body is a stream of lines (newline-delimited JSON).
   * Resolves when the server ends the answer: for a 2xx with an empty body (the lines went
   * to `onLine`), otherwise with the whole (size-capped) body, like request(). Rejects like
   * request(), and also for an idle stream, a line over `maxLineBytes` or a throwing `onLine`.
   * Aborting `signal` closes the connection.
   */
  stream(req: HttpStreamRequest): Promise<HttpResponse> {
    return this.send(req, req);
  }

  private send(req: HttpRequest, lines: HttpStreamRequest | undefined): Promise<HttpResponse> {
    const base = this.baseUrl.pathname.replace(/\/+$/, '');
    const headers: Record<string, string> = { ...this.headers };
    for (const [k, v] of Object.entries(req.headers ?? {})) if (v !== undefined) headers[k] = v;
    let body: string | undefined = req.body;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    }
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const signal = req.signal;

    return new Promise<HttpResponse>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new HttpTransportError('aborted', 'request aborted'));
        return;
      }
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: Error | undefined, res?: HttpResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(res as HttpResponse);
      };
      const fail = (err: Error): void => {
        finish(err);
        r.destroy();
      };
      const arm = (ms: number, what: string): void => {
        clearTimeout(timer);
        timer = setTimeout(() => fail(new HttpTransportError('timeout', `${what} within ${ms} ms`)), ms);
      };
      const r = (this.baseUrl.protocol === 'https:' ? httpsRequest : httpRequest)(
        {
          protocol: this.baseUrl.protocol,
          hostname: this.baseUrl.hostname.replace(/^\[|\]$/g, ''),
          port: this.baseUrl.port,
          method: req.method,
          path: base + req.path,
          headers,
          agent: this.agent,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          res.on('error', (e) => finish(classify(e)));
          if (lines && status >= 200 && status < 300) {
            // A stream: no whole-answer limit (it may run for hours), but each line is capped
            // and a silent connection is dropped.
            arm(lines.idleTimeoutMs, 'no data from the stream');
            try {
              lines.onOpen?.(status, res.headers);
            } catch (e) {
              return fail(e as Error);
            }
            let pending: Buffer[] = [];
            let pendingBytes = 0;
            res.on('data', (c: Buffer) => {
              if (settled) return;
              arm(lines.idleTimeoutMs, 'no data from the stream');
              let start = 0;
              for (let nl = c.indexOf(10); nl !== -1; nl = c.indexOf(10, start)) {
                const piece = c.subarray(start, nl);
                start = nl + 1;
                if (pendingBytes + piece.length > lines.maxLineBytes) return fail(responseTooLarge(this.baseUrl.host, lines.maxLineBytes));
                const line = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
                pending = [];
                pendingBytes = 0;
                if (line.length === 0 || (line.length === 1 && line[0] === 13)) continue;
                try {
                  lines.onLine(line);
                } catch (e) {
                  return fail(e as Error);
                }
                if (settled) return; // onLine may have aborted the request
              }
              const rest = c.subarray(start);
              if (pendingBytes + rest.length > lines.maxLineBytes) return fail(responseTooLarge(this.baseUrl.host, lines.maxLineBytes));
              if (rest.length > 0) {
                pending.push(rest);
                pendingBytes += rest.length;
              }
            });
            // A last line without its newline is cut off mid-event: it is dropped, not parsed.
            res.on('end', () => finish(undefined, { status, headers: res.headers, body: Buffer.alloc(0) }));
            return;
          }
          const limit = this.maxResponseBytes;
          const tooLarge = (): void => fail(responseTooLarge(this.baseUrl.host, limit));
          // A declared length over the limit is refused before a byte is read.
          if (Number(res.headers['content-length']) > limit) return tooLarge();
          const chunks: Buffer[] = [];
          let received = 0;
          res.on('data', (c: Buffer) => {
            received += c.length;
            if (received > limit) return tooLarge();
            chunks.push(c);
          });
          res.on('end', () => finish(undefined, { status, headers: res.headers, body: Buffer.concat(chunks) }));
        },
      );
      arm(timeoutMs, 'no answer');
      const onAbort = (): void => fail(new HttpTransportError('aborted', 'request aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      // The egress guard's refusal arrives as the request's error; it is no transport failure.
      r.on('error', (e) => finish(e instanceof HushError ? e : classify(e)));
      if (body !== undefined) r.write(body);
      r.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function classify(e: Error): HttpTransportError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code && connectCodes.has(code)) return new HttpTransportError('connect', e.message, code, e);
  if (code === 'ETIMEDOUT') return new HttpTransportError('timeout', e.message, code, e);
  if (
    (code && (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || code.includes('SELF_SIGNED'))) ||
    /certificate|SSL|TLS/i.test(e.message)
  ) {
    return new HttpTransportError('tls', e.message, code, e);
  }
  return new HttpTransportError('other', e.message, code, e);
}
