/**
 * HTTP for the token endpoints (OAuth2 token, STS, IAM Credentials, metadata
 * server): one keep-alive client per origin for the store's life, JSON
 * answers, and OAuth2 error bodies (`error`, `error_description`) turned into
 * Hush errors whose text is redacted of every credential the store sent.
 */
import { AccessDeniedError, AuthError, HushError, ThrottledError, UnavailableError, errorForCode } from '../../../util/errors.ts';
import type { EgressGuard } from '../../../net/guard.ts';
import { HttpClient, HttpTransportError, type HttpResponse } from '../../util/http.ts';
import { redactStoreText } from '../../../util/redact.ts';

export interface TokenRequest {
  url: string;
  method?: 'GET' | 'POST';
  form?: Record<string, string>;
  json?: unknown;
  headers?: Record<string, string>;
  /** What the call is, for messages: "service account key token exchange". */
  what: string;
  signal: AbortSignal;
  /**
   * The URL is the metadata server from the controller's environment (GCE_METADATA_HOST), not
   * from the store: it is trusted past the egress policy, which refuses link-local addresses.
   */
  metadataServer?: boolean;
}

const TIMEOUT_MS = 15_000;

export class TokenHttp {
  private readonly clients = new Map<string, HttpClient>();
  private readonly secrets: Set<string>;

  private readonly egress: EgressGuard;
  private readonly maxResponseBytes: number | undefined;

  constructor(secrets: Set<string>, egress: EgressGuard, maxResponseBytes?: number) {
    this.secrets = secrets;
    this.egress = egress;
    this.maxResponseBytes = maxResponseBytes;
  }

  /** Sends the request and returns the JSON object answered; throws a mapped HushError. */
  async call(req: TokenRequest): Promise<Record<string, unknown>> {
    const { res, obj, u } = await this.send(req);
    if (res.status >= 200 && res.status < 300 && obj) return obj;
    if (res.status >= 200 && res.status < 300) throw new UnavailableError(`gcpsm: ${req.what} at ${u.origin}${u.pathname} answered something that is not a JSON object`);
    throw this.statusError(req, u, res.status, obj);
  }

  /** Sends the request and returns the text answered (the metadata server's plain values). */
  async text(req: TokenRequest): Promise<string> {
    const { res, obj, u } = await this.send(req);
    if (res.status >= 200 && res.status < 300) return res.body.toString('utf8').trim();
    throw this.statusError(req, u, res.status, obj);
  }

  private async send(req: TokenRequest): Promise<{ res: HttpResponse; obj: Record<string, unknown> | undefined; u: URL }> {
    const u = new URL(req.url);
    // Separate clients for trusted and untrusted calls: a store's token_uri naming the metadata host must not ride on the trust.
    const key = `${req.metadataServer ? 'metadata' : 'store'}|${u.origin}`;
    let client = this.clients.get(key);
    if (!client) {
      const egress = req.metadataServer ? this.egress.trusting(u.hostname) : this.egress;
      client = new HttpClient(u.origin, { timeoutMs: TIMEOUT_MS, egress, maxResponseBytes: this.maxResponseBytes });
      this.clients.set(key, client);
    }
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.form) {
      body = new URLSearchParams(req.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    let res;
    try {
      res = await client.request({ method: req.method ?? 'POST', path: u.pathname + u.search, headers, body, json: req.json, signal: req.signal });
    } catch (err) {
      if (err instanceof HttpTransportError) {
        const code = err.kind === 'timeout' ? 'Timeout' : 'Unavailable';
        throw errorForCode(code, `gcpsm: ${req.what} at ${u.origin}${u.pathname} failed: ${this.clean(err.message)}`, { cause: err });
      }
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const obj = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    return { res, obj, u };
  }

  private statusError(req: TokenRequest, u: URL, status: number, obj: Record<string, unknown> | undefined): HushError {
    const reason = this.reason(obj, status);
    const message = `gcpsm: ${req.what} at ${u.origin}${u.pathname} answered ${status}${reason ? `: ${reason}` : ''}`;
    if (status === 429) return new ThrottledError(message);
    if (status >= 500) return new UnavailableError(message);
    if (status === 403) return new AccessDeniedError(message);
    if (status === 404 && req.method === 'GET') return new UnavailableError(message);
    return new AuthError(message);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  /** OAuth2 (`error`/`error_description`) and Google API (`error.message`) error bodies, redacted. */
  private reason(obj: Record<string, unknown> | undefined, status: number): string {
    if (!obj) return status === 404 ? 'not found' : '';
    const parts: string[] = [];
    const e = obj.error;
    if (typeof e === 'string') parts.push(e);
    else if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') parts.push((e as { message: string }).message);
    if (typeof obj.error_description === 'string') parts.push(obj.error_description);
    return this.clean(parts.join(': '));
  }

  private clean(text: string): string {
    return redactStoreText(text, this.secrets);
  }
}
