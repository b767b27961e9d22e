/**
 * One webhook StoreClient per (Cluster)SecretStore: renders ESO's templates,
 * sends the request over a keep-alive connection pool per origin, and turns
 * the answer into values as ESO does.
 *
 * Messages never carry the rendered URL, headers or body (templates put
 * secrets there) nor the answer's body: they name the URL template from the
 * manifest, the status line and the key.
 */
import type { EgressGuard } from '../../net/guard.ts';
import { AccessDeniedError, AuthError, HushError, InvalidSpecError, NotFoundError, NotSupportedError, ThrottledError, TimeoutError, UnavailableError } from '../../util/errors.ts';
import type { FindSpec, Projection, ProviderKubeAccess, RawRef, RawSecret, RemoteRef, StoreClient, ValidationResult } from '../types.ts';
import { rawSecret } from '../../read/rawref.ts';
import { HttpClient, HttpTransportError, type HttpResponse } from '../util/http.ts';
import { readSecretString, type RefScope } from '../util/refs.ts';
import { redactStoreText } from '../../util/redact.ts';
import type { WebhookSpec } from './spec.ts';
import { readTemplateSecrets, referencedKeys, renderAll, templateData } from './templates.ts';
import { parseAnswer, selectPath, singleValue, valueMap } from './values.ts';

/** ESO has no timeout unless the store sets one; Hush does not wait forever. */
const DEFAULT_TIMEOUT_MS = 30_000;

export interface WebhookClientParts {
  spec: WebhookSpec;
  kube: ProviderKubeAccess;
  scope: RefScope;
  ca: string[] | undefined;
  recordCall(call: string, status: 'success' | 'error'): void;
  egress: EgressGuard;
  maxResponseBytes?: number | undefined;
}

/**
 * What one webhook call answered: the body as received and result.jsonPath as rendered for the
 * ref (the path is a template too, so it belongs to the read, not to the projection).
 */
interface WebhookAnswer {
  readonly body: Uint8Array;
  readonly path: string;
}

/** ESO's GetSecret / GetSecretMap over an answer; pure, so one answer serves every reader. */
const webhookProjection: Projection = {
  value(raw: RawSecret, ref: RemoteRef): Uint8Array {
    const { body, path } = raw.payload as WebhookAnswer;
    // A copy: the answer is shared by every reader of the ref.
    if (path === '') return Uint8Array.from(body);
    return singleValue(selectPath(parseAnswer(body, `the answer for key "${ref.key}"`), path));
  },
  map(raw: RawSecret, ref: RemoteRef): Map<string, Uint8Array> {
    const { body, path } = raw.payload as WebhookAnswer;
    let data = parseAnswer(body, `the answer for key "${ref.key}"`);
    if (path !== '') data = selectPath(data, path);
    return valueMap(data);
  },
};

export class WebhookStoreClient implements StoreClient {
  private readonly p: WebhookClientParts;
  private readonly clients = new Map<string, HttpClient>();
  private readonly keys: Map<string, Set<string>>;
  private readonly secrets = new Set<string>();
  readonly projection = webhookProjection;
  /** ESO's templates may put .remoteRef.property in the URL, body, headers or jsonPath: each property is its own request. */
  readonly readsProperty = true;

  constructor(parts: WebhookClientParts) {
    this.p = parts;
    const s = parts.spec;
    this.keys = referencedKeys([s.url, s.body, s.jsonPath, ...Object.values(s.headers)], s.secrets.map((x) => x.name));
  }

  /** One request for the ref (property included). A webhook has no change marker of its own: no version. */
  async read(ref: RawRef, signal: AbortSignal): Promise<RawSecret> {
    const answer: WebhookAnswer = await this.fetch(ref, signal);
    return rawSecret(Object.freeze(answer));
  }

  findSecrets(_find: FindSpec, _signal: AbortSignal): Promise<Map<string, Uint8Array>> {
    return Promise.reject(new NotSupportedError('webhook: dataFrom.find is not supported by the webhook provider (ESO does not implement it either)'));
  }

  /**
   * As ESO: the URL's host must accept a TCP connection (the URL is a template, so nothing is
   * requested). The connection passes the egress guard. The socket's error is not shown: a
   * tenant's store would otherwise read "connection refused" against "timed out" and map ports
   * (the store's status is the tenant's to read). Only the guard's refusal is named, since it
   * tells the tenant the fix, not the network.
   */
  async validate(signal: AbortSignal): Promise<ValidationResult> {
    const target = hostOf(this.p.spec.url);
    if (!target) return { state: 'Unknown', message: 'the url template decides the host per key; nothing to check yet' };
    try {
      await this.p.egress.connect(target.host, target.port, 15_000, signal);
      return { state: 'Ready', message: 'store validated' };
    } catch (err) {
      const e = err instanceof HushError ? err.withContext(`webhook: ${target.host}:${target.port}`) : new UnavailableError(`webhook: cannot connect to ${target.host}:${target.port}`, { cause: err });
      return { state: 'Error', message: e.message, error: e };
    }
  }

  close(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    return Promise.resolve();
  }

  /** Renders the request for `ref` (and result.jsonPath), sends it and returns the answer's body on 2xx. */
  private async fetch(ref: RawRef, signal: AbortSignal): Promise<{ body: Buffer; path: string }> {
    const s = this.p.spec;
    const named = await readTemplateSecrets(this.p.kube, this.p.scope, s.secrets, this.keys, (v) => this.remember(v));
    const remote = remoteRefOf(ref);
    const escaped = templateData(remote, this.p.scope.namespace, named, true);
    const raw = templateData(remote, this.p.scope.namespace, named, false);
    // One batch for the whole request: the url, the body, every header, and result.jsonPath.
    const headerEntries = Object.entries(s.headers);
    const [url, body, path, ...headerValues] = await renderAll(
      [
        { text: s.url, data: escaped, field: 'url' },
        { text: s.body, data: raw, field: 'body' },
        { text: s.jsonPath, data: raw, field: 'result.jsonPath' },
        ...headerEntries.map(([k, v]) => ({ text: v, data: raw, field: `header ${k}` })),
      ],
      this.secrets,
    );
    const headers: Record<string, string> = {};
    headerEntries.forEach(([k], i) => (headers[k.toLowerCase()] = headerValues[i]!));

    let u: URL;
    try {
      u = new URL(url!);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new InvalidSpecError(`webhook: the url template ${JSON.stringify(s.url)} did not render to an http(s) URL for key "${ref.key}"`);
    }

    let res = await this.send(u, headers, body!, signal);
    if (res.status === 401 && s.ntlm) res = await this.retryWithCredentials(u, headers, body!, res, signal);
    return { body: this.check(res, ref), path: path! };
  }

  /**
   * auth.ntlm, as ESO's transport does it: the request goes out without
   * credentials first; a 401 that does not ask for NTLM is retried with
   * Basic credentials. The NTLM handshake itself is not implemented.
   */
  private async retryWithCredentials(u: URL, headers: Record<string, string>, body: string, first: HttpResponse, signal: AbortSignal): Promise<HttpResponse> {
    const ntlm = this.p.spec.ntlm!;
    const wantsNtlm = (r: HttpResponse): boolean => /\b(NTLM|Negotiate)\b/i.test(String(r.headers['www-authenticate'] ?? ''));
    if (wantsNtlm(first)) throw new NotSupportedError('webhook: the server asks for an NTLM handshake, which Hush does not implement yet');
    const user = await readSecretString(this.p.kube, this.p.scope, ntlm.username, 'webhook auth.ntlm.usernameSecret');
    const pass = await readSecretString(this.p.kube, this.p.scope, ntlm.password, 'webhook auth.ntlm.passwordSecret');
    this.remember(pass);
    const basic = Buffer.from(`${user}:${pass}`, 'utf8').toString('base64');
    this.remember(basic);
    const res = await this.send(u, { ...headers, authorization: `Basic ${basic}` }, body, signal);
    if (res.status === 401 && wantsNtlm(res)) throw new NotSupportedError('webhook: the server asks for an NTLM handshake, which Hush does not implement yet');
    return res;
  }

  private async send(u: URL, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<HttpResponse> {
    const s = this.p.spec;
    let client = this.clients.get(u.origin);
    if (!client) {
      client = new HttpClient(u.origin, {
        ca: this.p.ca,
        timeoutMs: s.timeoutMs && s.timeoutMs > 0 ? s.timeoutMs : DEFAULT_TIMEOUT_MS,
        egress: this.p.egress,
        maxResponseBytes: this.p.maxResponseBytes,
      });
      this.clients.set(u.origin, client);
    }
    try {
      const res = await client.request({ method: s.method, path: u.pathname + u.search, headers, ...(body === '' ? {} : { body }), signal });
      this.p.recordCall('HTTPRequest', 'success');
      return res;
    } catch (err) {
      // ESO counts only transport failures as errors; an error status is still an answer.
      this.p.recordCall('HTTPRequest', 'error');
      if (err instanceof HttpTransportError) {
        // A tenant's store gets no socket error text (ECONNREFUSED vs EHOSTUNREACH maps its network); a cluster
        // store's admin does. TLS errors are about the server's certificate, which the tenant needs to fix its CA.
        const opaque = this.p.egress.scope === 'tenant' && err.kind !== 'tls' && err.kind !== 'timeout';
        const why = opaque ? 'connection failed' : redactStoreText(err.message, this.secrets);
        if (err.kind === 'timeout') throw new TimeoutError(`webhook: ${s.url}: failed to call endpoint: ${why}`, { cause: err });
        throw new UnavailableError(`webhook: ${s.url}: failed to call endpoint: ${why}`, { cause: err });
      }
      throw err;
    }
  }

  private check(res: HttpResponse, ref: RawRef): Buffer {
    const s = this.p.spec;
    if (res.status >= 200 && res.status < 300) return res.body;
    const line = `${res.status}${statusText(res.status)}`;
    const where = `webhook: ${s.method} ${s.url} for key "${ref.key}"`;
    if (res.status === 404) throw new NotFoundError(`${where}: secret not found (endpoint answered ${line})`);
    if (res.status === 429) {
      // The store's governor (read/governor.ts) pauses the store; this only passes on the server's hint.
      const after = retryAfterMs(res.headers['retry-after'], Date.now());
      throw new ThrottledError(`${where}: endpoint gave error ${line}`, after === undefined ? {} : { retryAfterMs: after });
    }
    if (res.status === 401) throw new AuthError(`${where}: endpoint gave error ${line}`);
    if (res.status === 403) throw new AccessDeniedError(`${where}: endpoint gave error ${line}`);
    if (res.status === 304) throw new UnavailableError(`${where}: endpoint answered ${line}; Hush has no not-modified handling, the Secret stays as it is`);
    throw new UnavailableError(`${where}: endpoint gave error ${line}`);
  }

  private remember(v: string): void {
    if (v.length >= 4) this.secrets.add(v);
  }
}

const texts: Record<number, string> = { 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
function statusText(status: number): string {
  const t = texts[status];
  return t ? ` ${t}` : '';
}

/** Retry-After (RFC 9110): delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(h: string | string[] | undefined, now: number): number | undefined {
  const v = (Array.isArray(h) ? h[0] : h)?.trim();
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The template data's view of a raw ref (the webhook's raw refs keep the property). */
function remoteRefOf(ref: RawRef): RemoteRef {
  const r: RemoteRef = { key: ref.key };
  if (ref.version !== undefined) r.version = ref.version;
  if (ref.property !== undefined) r.property = ref.property;
  return r;
}

/** The URL template's host and port, when the host itself is not templated. */
function hostOf(urlTemplate: string): { host: string; port: number } | undefined {
  const m = /^(https?):\/\/([^/?#]*)/i.exec(urlTemplate.trim());
  if (!m || (m[2] as string).includes('{{')) return undefined;
  try {
    const u = new URL(`${m[1] as string}://${m[2] as string}/`);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
  } catch {
    return undefined;
  }
}
