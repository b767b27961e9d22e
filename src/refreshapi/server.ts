/**
 * The refresh API: an authenticated HTTP endpoint in the controller process that asks for
 * ExternalSecrets to be synced from fresh reads now, instead of at their next refreshInterval
 * (docs/refresh-api.md). It is what a CI pipeline or a cloud notification calls after it
 * changed a secret in a store.
 *
 * Every call is, in order: bounded (method, path, body size, time), authenticated
 * (TokenReview), rate limited (per user and for all), authorized (SubjectAccessReview for the
 * right to patch the ExternalSecrets it would wake) and audited (one info line). Only then does
 * it touch the read engine, which only marks ExternalSecrets for a fresh read and enqueues
 * them: store budgets still hold, since reads go through the store governors.
 *
 * Nothing here reads or returns a secret value; answers name ExternalSecrets only.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { KubeClient } from '../kube/client.ts';
import type { Informer } from '../kube/informer.ts';
import { objectKey, splitObjectKey } from '../kube/resources.ts';
import type { ExternalSecretObject } from '../controllers/externalsecret/spec.ts';
import type { ReadEngine } from '../read/engine.ts';
import type { Logger } from '../util/log.ts';
import { AccessDeniedError, AuthError, HushError, InvalidDataError, InvalidSpecError, NotFoundError, NotSupportedError, ThrottledError, UnavailableError, asHushError, type ErrorCode } from '../util/errors.ts';
import { parseAddress } from '../metrics/server.ts';
import { AccessReviewer, TokenReviewer, bearerToken, type UserInfo } from './auth.ts';
import { KeyedBuckets, TokenBucket, type BucketOptions } from './ratelimit.ts';
import { parseRoute, storeKeyOf, type Route } from './routes.ts';

export interface RefreshApiLimits {
  /** Calls per authenticated user (default 5/s, burst 10). */
  perUser: BucketOptions;
  /** Calls of all users together (default 50/s, burst 100). */
  global: BucketOptions;
  /** TokenReviews for tokens not in the cache (default 20/s, burst 40): what a flood of garbage tokens can cost the API server. */
  tokenReviews: BucketOptions;
  /** SubjectAccessReviews one store-key call may ask for (default 50); readers beyond are not woken. */
  accessReviewsPerCall: number;
  /** Largest request body read (default 4 KiB; none is needed). */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: RefreshApiLimits = {
  perUser: { ratePerSecond: 5, burst: 10 },
  global: { ratePerSecond: 50, burst: 100 },
  tokenReviews: { ratePerSecond: 20, burst: 40 },
  accessReviewsPerCall: 50,
  maxBodyBytes: 4096,
};

export interface RefreshApiOptions {
  /** The controller's own client: TokenReviews and SubjectAccessReviews are asked with its rights. */
  kube: KubeClient;
  engine: Pick<ReadEngine, 'requestRefresh' | 'readersOf'>;
  /** The ExternalSecret informer's cache: namespaces are listed from it, never from the API. */
  externalSecrets: Pick<Informer<ExternalSecretObject>, 'get' | 'list'>;
  logger: Logger;
  /** Whether refreshes can be served: caches synced and, with leader election, leading. */
  ready?: () => boolean;
  /** Audiences a token must be valid for (default: the API server's own). */
  audiences?: readonly string[];
  limits?: Partial<RefreshApiLimits>;
  tokenCacheTtlMs?: number;
  now?: () => number;
}

type Decision = 'allowed' | 'denied' | 'unauthenticated' | 'limited' | 'not-found' | 'rejected' | 'unavailable' | 'error';

/** The HTTP status of each refusal, by error code. */
const statusByCode: Partial<Record<ErrorCode, number>> = {
  AuthFailed: 401,
  AccessDenied: 403,
  NotFound: 404,
  NotSupported: 405,
  InvalidData: 413,
  InvalidSpec: 400,
  Throttled: 429,
  Unavailable: 503,
  Timeout: 503,
};

const decisionByCode: Partial<Record<ErrorCode, Decision>> = {
  AuthFailed: 'unauthenticated',
  AccessDenied: 'denied',
  Throttled: 'limited',
  NotSupported: 'rejected',
  InvalidData: 'rejected',
  InvalidSpec: 'rejected',
  Unavailable: 'unavailable',
};

interface Audit {
  method: string;
  path: string;
  remoteKey?: string;
  user?: string;
  decision: Decision;
  status: number;
  externalSecrets: number;
  note?: string;
}

export class RefreshApi {
  private readonly o: RefreshApiOptions;
  private readonly limits: RefreshApiLimits;
  private readonly tokens: TokenReviewer;
  private readonly access: AccessReviewer;
  private readonly perUser: KeyedBuckets;
  private readonly global: TokenBucket;
  private readonly reviews: TokenBucket;

  constructor(opts: RefreshApiOptions) {
    this.o = opts;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    const now = opts.now ?? Date.now;
    this.tokens = new TokenReviewer({ kube: opts.kube, ...(opts.audiences ? { audiences: opts.audiences } : {}), ...(opts.tokenCacheTtlMs !== undefined ? { cacheTtlMs: opts.tokenCacheTtlMs } : {}), now });
    this.access = new AccessReviewer(opts.kube);
    this.perUser = new KeyedBuckets(this.limits.perUser, now);
    this.global = new TokenBucket(this.limits.global, now);
    this.reviews = new TokenBucket(this.limits.tokenReviews, now);
  }

  /** The request handler (for an http or https server). */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const abort = new AbortController();
    res.on('close', () => abort.abort(new UnavailableError('the client went away')));
    const audit: Audit = { method: req.method ?? '', path: pathOf(req.url), decision: 'error', status: 500, externalSecrets: 0 };
    this.serve(req, audit, abort.signal)
      .then((refreshed) => {
        audit.decision = 'allowed';
        audit.status = 202;
        audit.externalSecrets = refreshed.length;
        send(res, 202, { refreshed });
      })
      .catch((err: unknown) => {
        const e = asHushError(err);
        audit.status = statusByCode[e.code] ?? 500;
        audit.decision = decisionByCode[e.code] ?? (audit.status === 404 ? 'not-found' : 'error');
        const headers: Record<string, string> = {};
        if (audit.status === 401) headers['www-authenticate'] = 'Bearer';
        if (audit.status === 405) headers.allow = 'POST';
        if (audit.status === 429 || audit.status === 503) headers['retry-after'] = String(Math.max(1, Math.ceil((e.retryAfterMs ?? 1000) / 1000)));
        // 5xx from our side: the message may carry an API server's text; keep it out of the answer.
        const message = audit.status === 500 ? 'internal error' : e.message;
        if (audit.status === 500) audit.note = `${e.code}: ${e.message}`;
        send(res, audit.status, { error: { code: e.code, message } }, headers);
      })
      .finally(() => {
        // The audit line: who, what, the decision and how many ExternalSecrets. Never the token,
        // never the query string (only the parsed remote key, a name).
        this.o.logger.info('refresh api call', { ...audit });
      });
  };

  private async serve(req: IncomingMessage, audit: Audit, signal: AbortSignal): Promise<string[]> {
    if (req.method !== 'POST') throw new NotSupportedError('only POST is served');
    await drainBody(req, this.limits.maxBodyBytes);
    const parsed = parseRoute(req.url ?? '/');
    if (!parsed.ok) throw parsed.status === 404 ? new NotFoundError(parsed.message) : new InvalidSpecError(parsed.message);
    const route = parsed.route;
    if (route.kind === 'store') audit.remoteKey = route.remoteKey;

    const user = await this.authenticate(req.headers.authorization);
    audit.user = user.username;
    if (this.o.ready && !this.o.ready()) throw new UnavailableError('this replica is not serving refreshes now (caches not synced, or not the leader); try again', { retryAfterMs: 2000 });

    const g = this.global.take();
    if (!g.ok) throw new ThrottledError('too many refresh calls; try again later', { retryAfterMs: g.retryAfterMs });
    const u = this.perUser.take(user.username);
    if (!u.ok) {
      // The user's own limit refused it: it should not also use up everyone's.
      this.global.giveBack();
      throw new ThrottledError('too many refresh calls from this user; try again later', { retryAfterMs: u.retryAfterMs });
    }

    const keys = await this.authorize(user, route, audit, signal);
    this.o.engine.requestRefresh(keys);
    return keys;
  }

  private async authenticate(header: string | undefined): Promise<UserInfo> {
    const token = bearerToken(header);
    if (!token) throw new AuthError('an Authorization: Bearer <token> header is required');
    const cached = this.tokens.cached(token);
    if (cached) return cached;
    const r = this.reviews.take();
    if (!r.ok) throw new ThrottledError('too many new tokens to review; try again later', { retryAfterMs: r.retryAfterMs });
    let result;
    try {
      result = await this.tokens.review(token);
    } catch (err) {
      throw new UnavailableError('the token could not be reviewed (the API server did not answer the TokenReview)', { cause: err });
    }
    if (!result.ok) throw new AuthError(`unauthenticated: ${result.reason}`);
    return result.user;
  }

  /** The ExternalSecrets (keys) the route wakes that the user may patch; throws 403/404 otherwise. */
  private async authorize(user: UserInfo, route: Route, audit: Audit, signal: AbortSignal): Promise<string[]> {
    const may = async (namespace: string, name?: string) => {
      try {
        return await this.access.mayPatch(user, name === undefined ? { namespace } : { namespace, name }, signal);
      } catch (err) {
        throw new UnavailableError('the access review failed (the API server did not answer the SubjectAccessReview)', { cause: err });
      }
    };
    switch (route.kind) {
      case 'externalsecret': {
        // The right first, then existence: a caller without it cannot learn what exists.
        if (!(await may(route.namespace, route.name))) throw denied(`patch on externalsecrets.external-secrets.io "${route.name}" in namespace "${route.namespace}"`);
        if (!this.o.externalSecrets.get(route.name, route.namespace)) throw new NotFoundError(`ExternalSecret ${route.namespace}/${route.name} not found`);
        return [`${route.namespace}/${route.name}`];
      }
      case 'namespace': {
        if (!(await may(route.namespace))) throw denied(`patch on externalsecrets.external-secrets.io in namespace "${route.namespace}"`);
        return this.o.externalSecrets.list(route.namespace).map(objectKey).sort();
      }
      case 'store': {
        // Readers the engine knows and the cache still has (one deleted a moment ago is not woken).
        const readers = this.o.engine.readersOf(storeKeyOf(route), route.remoteKey).filter((k) => {
          const { namespace, name } = splitObjectKey(k);
          return namespace !== undefined && this.o.externalSecrets.get(name, namespace) !== undefined;
        });
        const byNamespace = new Map<string, string[]>();
        for (const k of readers.sort()) {
          const ns = splitObjectKey(k).namespace!;
          byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), k]);
        }
        const permitted: string[] = [];
        let reviews = 0;
        let truncated = false;
        const cap = this.limits.accessReviewsPerCall;
        outer: for (const [ns, keys] of byNamespace) {
          if (reviews >= cap) {
            truncated = true;
            break;
          }
          reviews++;
          // One review covers the namespace; without it, rights on single names (resourceNames) still count.
          if (await may(ns)) {
            permitted.push(...keys);
            continue;
          }
          for (const k of keys) {
            if (reviews >= cap) {
              truncated = true;
              break outer;
            }
            reviews++;
            if (await may(ns, splitObjectKey(k).name)) permitted.push(k);
          }
        }
        if (truncated) audit.note = `stopped after ${cap} access reviews; further readers were not woken`;
        // Also when nobody reads the key: the answer must not tell a caller what others read.
        if (permitted.length === 0) throw denied(`patch on an ExternalSecret that reads this key from ${route.storeKind} "${route.namespace ? `${route.namespace}/` : ''}${route.name}"`);
        return permitted;
      }
    }
  }
}

function denied(right: string): HushError {
  return new AccessDeniedError(`forbidden: the caller needs ${right}`);
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** How often the files are read again, so a rotated certificate is served without a restart (default 60 s). */
  reloadEveryMs?: number;
}

/** Node's HTTP limits for the API: small headers, short timeouts (a slow client cannot hold a socket long). */
const httpLimits: ServerOptions = { maxHeaderSize: 8192, requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 };

/** Listens on `address` with HTTPS when `tls` is given, else plain HTTP (see checkListenPlan). */
export function startRefreshApi(address: string, api: RefreshApi, tls?: TlsFiles, logger?: Logger): Promise<Server> {
  const { host, port } = parseAddress(address);
  let server: Server;
  let timer: NodeJS.Timeout | undefined;
  if (tls) {
    let cert = readFileSync(tls.certFile);
    let key = readFileSync(tls.keyFile);
    const https = createHttpsServer({ ...httpLimits, cert, key, minVersion: 'TLSv1.2' }, api.handle);
    timer = setInterval(() => {
      try {
        const c = readFileSync(tls.certFile);
        const k = readFileSync(tls.keyFile);
        if (c.equals(cert) && k.equals(key)) return;
        https.setSecureContext({ cert: c, key: k });
        cert = c;
        key = k;
        logger?.info('refresh api: TLS certificate reloaded', { certFile: tls.certFile });
      } catch (err) {
        // A half-written pair (rotation in progress) fails here; the old one is kept until the next try.
        logger?.warn('refresh api: TLS certificate not reloaded', { certFile: tls.certFile, error: String(err instanceof Error ? err.message : err) });
      }
    }, tls.reloadEveryMs ?? 60_000);
    timer.unref();
    server = https;
  } else {
    server = createHttpServer(httpLimits, api.handle);
  }
  server.maxConnections = 512;
  server.on('close', () => clearInterval(timer));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * Whether the flags make a safe listener: TLS needs both files; plain HTTP only on a loopback
 * address (a sidecar or port-forward) or when --refresh-api-insecure says so, since bearer
 * tokens would cross the network in clear. Returns what is wrong, or undefined.
 */
export function checkListenPlan(address: string, tls: { certFile?: string | undefined; keyFile?: string | undefined }, insecure: boolean): string | undefined {
  let host: string | undefined;
  try {
    host = parseAddress(address).host;
  } catch (err) {
    return `--refresh-api-addr: ${err instanceof Error ? err.message : String(err)}`;
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) return '--refresh-api-tls-cert-file and --refresh-api-tls-key-file go together';
  if (tls.certFile !== undefined) return undefined;
  if (isLoopback(host) || insecure) return undefined;
  return `--refresh-api-addr "${address}" is not a loopback address: give --refresh-api-tls-cert-file and --refresh-api-tls-key-file, or --refresh-api-insecure to send bearer tokens in clear`;
}

export function isLoopback(host: string | undefined): boolean {
  if (host === undefined) return false;
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Reads and drops the body, refusing more than `max` bytes (none is needed). */
function drainBody(req: IncomingMessage, max: number): Promise<void> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) {
    req.resume();
    return Promise.reject(new InvalidDataError(`the request body is larger than ${max} bytes; none is needed`));
  }
  return new Promise((resolve, reject) => {
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(new InvalidDataError(`the request body is larger than ${max} bytes; none is needed`));
      }
    });
    req.on('end', () => resolve());
    req.on('error', (err) => reject(new InvalidDataError('the request body could not be read', { cause: err })));
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
  // An over-long body is not read to its end: close rather than keep a socket with unread bytes.
  if (status === 413) res.socket?.destroySoon?.();
}

/** The request path for the audit line: no query string (it may hold anything), bounded length. */
function pathOf(url: string | undefined): string {
  const p = (url ?? '').split('?')[0] ?? '';
  return p.length > 256 ? `${p.slice(0, 256)}…` : p;
}
