/**
 * Secret Manager over gRPC through Google's own client library, with Hush's
 * rules around it:
 *
 * - the channel carries no Google auth of its own (`sslCreds`): the store's
 *   access token goes in each call's metadata, so the library never looks for
 *   application default credentials or the metadata server behind our back;
 * - no retries inside the library: a failed call is mapped to a Hush error and
 *   the controller's backoff decides (one UNAUTHENTICATED answer gets one
 *   retry with a fresh token);
 * - RESOURCE_EXHAUSTED pauses the whole store: until the pause ends every call
 *   fails fast with ThrottledError, so a quota answer slows all
 *   ExternalSecrets of the store together instead of each retrying on its own;
 * - the library's telemetry logging is off: it could print payloads.
 */
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { AccessDeniedError, AuthError, HushError, InvalidConfigError, NotFoundError, NotSupportedError, ThrottledError, TimeoutError, UnavailableError } from '../../util/errors.ts';
import { redactStoreText } from '../../util/redact.ts';
import type { GrpcEndpoint } from './endpoints.ts';
import type { AccessTokenSession } from './session.ts';

/** gRPC status codes (google.rpc.Code). */
const Code = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const codeNames: Record<number, string> = Object.fromEntries(Object.entries(Code).map(([k, v]) => [v, k]));

const CALL_TIMEOUT_MS = 30_000;
const PAUSE_MIN_MS = 1000;
const PAUSE_MAX_MS = 30_000;

export interface ApiOptions {
  endpoint: GrpcEndpoint;
  session: AccessTokenSession;
  recordCall(call: string, status: 'success' | 'error'): void;
  /** Credentials to cut out of error text. */
  secrets: Set<string>;
  /** Token fetches use the store's signal so one cancelled read cannot fail everyone's refresh. */
  storeSignal: AbortSignal;
  now?: () => number;
}

export interface SecretInfo {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface GrpcLikeError {
  code?: unknown;
  details?: unknown;
  message?: unknown;
}

type CallOpts = { otherArgs: { headers: Record<string, string> }; retry: null; timeout: number; autoPaginate?: boolean };

export class SecretManagerApi {
  private readonly o: ApiOptions;
  private readonly client: SecretManagerServiceClient;
  private readonly now: () => number;
  private pausedUntil = 0;
  private pauseMs = 0;

  private constructor(o: ApiOptions, client: SecretManagerServiceClient) {
    this.o = o;
    this.client = client;
    this.now = o.now ?? Date.now;
  }

  static async create(o: ApiOptions): Promise<SecretManagerApi> {
    // Loaded on first use: most controllers never talk to GCP and need not pay for gRPC at start.
    const [{ SecretManagerServiceClient: Client }, { grpc }] = await Promise.all([import('@google-cloud/secret-manager'), import('google-gax')]);
    const ep = o.endpoint;
    const client = new Client({
      apiEndpoint: ep.host,
      port: ep.port,
      sslCreds: ep.insecure ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(),
      // Keeps google-auth-library from asking the metadata server for the universe domain.
      clientOptions: { universeDomain: 'googleapis.com' },
      enableTelemetryLogging: false,
      enableTelemetryTracing: false,
    });
    return new SecretManagerApi(o, client);
  }

  /** AccessSecretVersion: the payload of `name` (…/versions/<v>) and the version it resolved to. */
  async access(name: string, signal: AbortSignal): Promise<{ name: string; data: Uint8Array | undefined }> {
    const [res] = await this.call('AccessSecretVersion', `access ${name}`, signal, (opts) => this.client.accessSecretVersion({ name }, opts));
    const data = res.payload?.data;
    return { name: res.name ?? name, data: data === null || data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data, 'base64') : data };
  }

  /** GetSecret: labels and annotations (metadataPolicy: Fetch). */
  async getSecret(name: string, signal: AbortSignal): Promise<SecretInfo> {
    const [s] = await this.call('GetSecret', `get ${name}`, signal, (opts) => this.client.getSecret({ name }, opts));
    return { name: s.name ?? name, labels: { ...(s.labels ?? {}) }, annotations: { ...(s.annotations ?? {}) } };
  }

  /** ListSecrets, every page. */
  async listSecrets(parent: string, filter: string | undefined, signal: AbortSignal): Promise<SecretInfo[]> {
    const out: SecretInfo[] = [];
    let pageToken: string | undefined;
    do {
      const [secrets, next] = await this.call('ListSecrets', `list secrets of ${parent}`, signal, (opts) =>
        this.client.listSecrets({ parent, ...(filter ? { filter } : {}), ...(pageToken ? { pageToken } : {}) }, { ...opts, autoPaginate: false }),
      );
      for (const s of secrets) if (s.name) out.push({ name: s.name, labels: { ...(s.labels ?? {}) }, annotations: { ...(s.annotations ?? {}) } });
      pageToken = next?.pageToken ?? undefined;
    } while (pageToken);
    return out;
  }

  /** ListSecretVersions filtered to ENABLED, every page: names with creation times. */
  async listEnabledVersions(secret: string, signal: AbortSignal): Promise<{ name: string; createdMs: number }[]> {
    const out: { name: string; createdMs: number }[] = [];
    let pageToken: string | undefined;
    do {
      const [versions, next] = await this.call('ListSecretVersions', `list versions of ${secret}`, signal, (opts) =>
        this.client.listSecretVersions({ parent: secret, filter: 'state:ENABLED', ...(pageToken ? { pageToken } : {}) }, { ...opts, autoPaginate: false }),
      );
      for (const v of versions) {
        if (!v.name) continue;
        const t = v.createTime;
        const createdMs = t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
        out.push({ name: v.name, createdMs });
      }
      pageToken = next?.pageToken ?? undefined;
    } while (pageToken);
    return out;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** One RPC with the store's token, metrics, the store-wide throttle pause and error mapping. */
  private async call<T>(metric: string, action: string, signal: AbortSignal, rpc: (opts: CallOpts) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const wait = this.pausedUntil - this.now();
      if (wait > 0) {
        throw new ThrottledError(`gcpsm: ${action}: the store is backing off after a quota error (RESOURCE_EXHAUSTED); next try in ${Math.ceil(wait / 1000)} s`, { retryAfterMs: wait });
      }
      const token = await this.o.session.token(this.o.storeSignal);
      try {
        const res = await cancellable(rpc({ otherArgs: { headers: { authorization: `Bearer ${token}` } }, retry: null, timeout: CALL_TIMEOUT_MS }), signal);
        this.o.recordCall(metric, 'success');
        this.pauseMs = 0;
        return res;
      } catch (err) {
        this.o.recordCall(metric, 'error');
        const code = grpcCode(err);
        if (code === Code.UNAUTHENTICATED && attempt === 0) {
          this.o.session.invalidate(token);
          continue;
        }
        if (code === Code.RESOURCE_EXHAUSTED) {
          this.pauseMs = Math.min(PAUSE_MAX_MS, this.pauseMs === 0 ? PAUSE_MIN_MS : this.pauseMs * 2);
          this.pausedUntil = this.now() + this.pauseMs;
        }
        throw this.toHushError(err, action);
      }
    }
  }

  toHushError(err: unknown, action: string): HushError {
    if (err instanceof HushError) return err;
    const code = grpcCode(err);
    const e = (err ?? {}) as GrpcLikeError;
    const details = typeof e.details === 'string' && e.details !== '' ? e.details : typeof e.message === 'string' ? e.message : String(err);
    const reason = redactStoreText(details, this.o.secrets);
    const message = `gcpsm: ${action}: ${code !== undefined ? `${codeNames[code] ?? `code ${code}`}: ` : ''}${reason}`;
    const opts = { cause: err };
    switch (code) {
      case Code.NOT_FOUND:
        return new NotFoundError(message, opts);
      case Code.PERMISSION_DENIED:
        return new AccessDeniedError(message, opts);
      case Code.UNAUTHENTICATED:
        return new AuthError(message, opts);
      case Code.RESOURCE_EXHAUSTED:
        return new ThrottledError(message, { ...opts, retryAfterMs: this.pauseMs || PAUSE_MIN_MS });
      case Code.DEADLINE_EXCEEDED:
        return new TimeoutError(message, opts);
      case Code.INVALID_ARGUMENT:
        return new InvalidConfigError(message, opts);
      case Code.UNIMPLEMENTED:
        return new NotSupportedError(message, opts);
      default:
        // UNAVAILABLE, CANCELLED, FAILED_PRECONDITION (a disabled or destroyed version), transport errors.
        return new UnavailableError(message, opts);
    }
  }
}

function grpcCode(err: unknown): number | undefined {
  const c = (err as GrpcLikeError | undefined)?.code;
  return typeof c === 'number' ? c : undefined;
}

/**
 * Stops waiting when `signal` aborts. The library's promises cannot cancel
 * the RPC itself; it ends at its deadline, and its answer is dropped.
 */
function cancellable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new UnavailableError('gcpsm: call aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new UnavailableError('gcpsm: call aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export { Code as GrpcCode };

/** True for ESO's "latest is disabled or destroyed" case (FAILED_PRECONDITION naming the state). */
export function isDisabledOrDestroyed(err: unknown): boolean {
  const cause = err instanceof HushError ? err.cause : err;
  if (grpcCode(cause) !== Code.FAILED_PRECONDITION) return false;
  const e = cause as GrpcLikeError;
  const text = `${typeof e.details === 'string' ? e.details : ''} ${typeof e.message === 'string' ? e.message : ''}`;
  return text.includes('DESTROYED state') || text.includes('DISABLED state');
}
