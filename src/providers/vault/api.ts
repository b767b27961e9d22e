/**
 * Vault's HTTP API: one request, Vault's headers (token, namespace,
 * read-your-writes index), retries on the answers ESO's client retries (5xx,
 * 412, connection failures), and the mapping from Vault answers to Hush errors.
 * Messages name the operation and path plus Vault's own error strings, never
 * a request or response body.
 */
import { AccessDeniedError, AuthError, HushError, InternalError, InvalidConfigError, NotFoundError, ThrottledError, TimeoutError, UnavailableError } from '../../util/errors.ts';
import { HttpTransportError, type HttpClient } from '../util/http.ts';
import { parseJson, type JsonValue } from '../util/gojson.ts';
import { redactStoreText } from '../../util/redact.ts';
import { encodePath } from './paths.ts';

export interface VaultApiOptions {
  namespace: string | undefined;
  readYourWrites: boolean;
  forwardInconsistent: boolean;
  maxRetries: number;
  retryWaitMs: number;
  /** Credentials this client has sent, cut out of any error text. */
  sentSecrets: () => Iterable<string>;
}

export interface VaultRequest {
  method: 'GET' | 'POST' | 'LIST';
  /** Path below /v1/, e.g. "secret/data/db". */
  path: string;
  query?: Record<string, string> | undefined;
  token?: string | undefined;
  /** Overrides the store's namespace (auth.namespace for logins). */
  namespace?: string | undefined;
  json?: unknown;
  signal?: AbortSignal | undefined;
}

export interface VaultAnswer {
  status: number;
  body: JsonValue | undefined;
}

/** A non-2xx answer (404 excepted, which callers read). */
export class VaultStatusError extends Error {
  readonly status: number;
  readonly vaultErrors: string[];
  readonly retryAfterMs: number | undefined;
  constructor(status: number, vaultErrors: string[], retryAfterMs: number | undefined) {
    super(`vault answered ${status}`);
    this.name = 'VaultStatusError';
    this.status = status;
    this.vaultErrors = vaultErrors;
    this.retryAfterMs = retryAfterMs;
  }
}

export class VaultApi {
  private readonly http: HttpClient;
  private readonly opts: VaultApiOptions;
  private lastIndex: string | undefined;

  constructor(http: HttpClient, opts: VaultApiOptions) {
    this.http = http;
    this.opts = opts;
  }

  /** Sends a request; resolves for 2xx and 404, throws VaultStatusError or HttpTransportError otherwise. */
  async send(req: VaultRequest): Promise<VaultAnswer> {
    let attempt = 0;
    for (;;) {
      try {
        return await this.once(req);
      } catch (err) {
        if (attempt >= this.opts.maxRetries || !retryable(err) || req.signal?.aborted) throw err;
        attempt++;
        await sleep(this.opts.retryWaitMs * attempt, req.signal);
      }
    }
  }

  private async once(req: VaultRequest): Promise<VaultAnswer> {
    const query = new URLSearchParams(req.query);
    let method: string = req.method;
    if (method === 'LIST') {
      method = 'GET';
      query.set('list', 'true');
    }
    const qs = query.toString();
    const headers: Record<string, string | undefined> = {
      'x-vault-token': req.token,
      'x-vault-namespace': req.namespace ?? this.opts.namespace,
      'x-vault-request': 'true',
    };
    if (this.opts.readYourWrites) {
      if (this.lastIndex) headers['x-vault-index'] = this.lastIndex;
      if (this.opts.forwardInconsistent) headers['x-vault-inconsistent'] = 'forward-active-node';
    }
    const res = await this.http.request({
      method,
      path: '/v1/' + encodePath(req.path) + (qs ? '?' + qs : ''),
      headers,
      ...(req.json !== undefined ? { json: req.json } : {}),
      signal: req.signal,
    });
    const index = res.headers['x-vault-index'];
    if (this.opts.readYourWrites && typeof index === 'string') this.lastIndex = index;
    let body: JsonValue | undefined;
    if (res.body.length > 0) {
      try {
        body = parseJson(res.body.toString('utf8'));
      } catch {
        body = undefined;
      }
    }
    if ((res.status >= 200 && res.status < 300) || res.status === 404) return { status: res.status, body };
    const retryAfter = Number(res.headers['retry-after']);
    throw new VaultStatusError(res.status, vaultErrors(body), Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
  }

  /**
   * A Hush error for a failed operation. `action` reads like "read secret/data/db";
   * `login` marks authentication calls, whose 400/403 mean bad credentials.
   */
  toHushError(err: unknown, action: string, kind: 'login' | 'read' = 'read'): HushError {
    if (err instanceof HushError) return err;
    const clean = (s: string): string => redactStoreText(s, this.opts.sentSecrets());
    if (err instanceof VaultStatusError) {
      const reason = clean(err.vaultErrors.join('; ') || 'no error message');
      const msg = `vault: ${action}: ${reason} (${err.status})`;
      const s = err.status;
      if (kind === 'login' && (s === 400 || s === 401 || s === 403)) return new AuthError(msg);
      if (s === 401) return new AuthError(msg);
      if (s === 403) return new AccessDeniedError(msg);
      if (s === 429) return new ThrottledError(msg, err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs });
      if (s >= 500 || s === 412) return new UnavailableError(msg);
      if (s === 404) return new NotFoundError(msg);
      return new InvalidConfigError(msg);
    }
    if (err instanceof HttpTransportError) {
      const msg = `vault: ${action}: ${clean(err.message)}`;
      switch (err.kind) {
        case 'timeout':
          return new TimeoutError(msg);
        case 'aborted':
          return new TimeoutError(msg);
        case 'tls':
          return new InvalidConfigError(`${msg} (check server, caBundle/caProvider and tls)`);
        default:
          return new UnavailableError(msg);
      }
    }
    return new InternalError(`vault: ${action}: unexpected ${err instanceof Error ? err.name : 'error'}`, { cause: err });
  }
}

/** Vault's `errors` array; "1 error occurred:\n\t* permission denied" becomes "permission denied". */
function vaultErrors(body: JsonValue | undefined): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('errors' in body)) return [];
  const errs = body.errors;
  if (!Array.isArray(errs)) return [];
  const out: string[] = [];
  for (const e of errs) {
    if (typeof e !== 'string') continue;
    const bullets = [...e.matchAll(/^\s*\* (.+)$/gm)].map((m) => (m[1] as string).trim());
    if (/^\d+ errors? occurred:/.test(e) && bullets.length > 0) out.push(...bullets);
    else out.push(e.trim());
  }
  return out;
}

function retryable(err: unknown): boolean {
  if (err instanceof VaultStatusError) return err.status === 412 || (err.status >= 500 && err.status !== 501);
  if (err instanceof HttpTransportError) return err.kind === 'connect';
  return false;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
