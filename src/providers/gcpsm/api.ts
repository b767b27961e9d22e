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
 * - RESOURCE_EXHAUSTED is a ThrottledError carrying the server's RetryInfo
 *   delay when it sends one; pausing the store is the store's governor's job
 *   (read/governor.ts), so all ExternalSecrets of the store slow down together;
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

export interface ApiOptions {
  endpoint: GrpcEndpoint;
  session: AccessTokenSession;
  recordCall(call: string, status: 'success' | 'error'): void;
  /** Credentials to cut out of error text. */
  secrets: Set<string>;
  /** Token fetches use the store's signal so one cancelled read cannot fail everyone's refresh. */
  storeSignal: AbortSignal;
}

export interface SecretInfo {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The Secret's etag (it changes with every update of the Secret); undefined when the server sends none. */
  etag?: string | undefined;
}

interface GrpcLikeError {
  code?: unknown;
  details?: unknown;
  message?: unknown;
  /** google.rpc.Status details as google-gax decodes them (RetryInfo among them). */
  statusDetails?: unknown;
}

type CallOpts = { otherArgs: { headers: Record<string, string> }; retry: null; timeout: number; autoPaginate?: boolean };

export class SecretManagerApi {
  private readonly o: ApiOptions;
  private readonly client: SecretManagerServiceClient;

  private constructor(o: ApiOptions, client: SecretManagerServiceClient) {
    this.o = o;
    this.client = client;
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
    return { name: s.name ?? name, labels: { ...(s.labels ?? {}) }, annotations: { ...(s.annotations ?? {}) }, etag: s.etag || undefined };
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

  /** One RPC with the store's token, metrics and error mapping. */
  private async call<T>(metric: string, action: string, signal: AbortSignal, rpc: (opts: CallOpts) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.o.session.token(this.o.storeSignal);
      try {
        const res = await cancellable(rpc({ otherArgs: { headers: { authorization: `Bearer ${token}` } }, retry: null, timeout: CALL_TIMEOUT_MS }), signal);
        this.o.recordCall(metric, 'success');
        return res;
      } catch (err) {
        this.o.recordCall(metric, 'error');
        const code = grpcCode(err);
        if (code === Code.UNAUTHENTICATED && attempt === 0) {
          this.o.session.invalidate(token);
          continue;
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
      case Code.RESOURCE_EXHAUSTED: {
        const after = retryDelayMs(err);
        return new ThrottledError(message, after === undefined ? opts : { ...opts, retryAfterMs: after });
      }
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

/**
 * google.rpc.RetryInfo.retry_delay from the error's status details (gRPC's Retry-After), as
 * google-gax decodes grpc-status-details-bin; undefined when the server sent none.
 */
function retryDelayMs(err: unknown): number | undefined {
  const details = (err as GrpcLikeError | undefined)?.statusDetails;
  if (!Array.isArray(details)) return undefined;
  for (const d of details as unknown[]) {
    const delay = (d as { retryDelay?: { seconds?: unknown; nanos?: unknown } } | null)?.retryDelay;
    if (!delay || typeof delay !== 'object') continue;
    const seconds = int64(delay.seconds);
    const nanos = int64(delay.nanos);
    if (Number.isFinite(seconds) && Number.isFinite(nanos) && seconds >= 0 && nanos >= 0) return seconds * 1000 + Math.floor(nanos / 1e6);
  }
  return undefined;
}

/** A protobuf int64 as protobufjs hands it over: a number, a string, or a Long. */
function int64(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'object' && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return Number(v);
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
