/**
 * A Secret Manager gRPC server for tests. GCP has no official emulator, so
 * this serves the official protos shipped in @google-cloud/secret-manager
 * with @grpc/grpc-js, and the real client library talks to it over the real
 * wire protocol. It is a fake: it emulates only these semantics of the real
 * service —
 *
 * - secrets with numbered versions (1, 2, …) in states ENABLED / DISABLED /
 *   DESTROYED; `versions/latest` is the newest version whatever its state, so
 *   accessing a disabled or destroyed latest fails with FAILED_PRECONDITION
 *   "… is in DISABLED state." as Google answers;
 * - NOT_FOUND texts like Google's ("Secret [...] not found or has no versions.");
 * - names answered with the project *number* although requests use the id;
 * - regional secrets (`projects/P/locations/L/secrets/...`) apart from global ones;
 * - ListSecrets filters made of space-separated (AND) terms `labels.K=V`,
 *   `labels.K:V` and `name:SUBSTRING`, and paging (3 per page unless pageSize);
 * - ListSecretVersions with the filter `state:ENABLED`;
 * - a Bearer token in the call metadata, checked by `authorize`: no or unknown
 *   token → UNAUTHENTICATED; a principal denied a secret → PERMISSION_DENIED;
 * - `throttle(n)`: the next n calls answer RESOURCE_EXHAUSTED, optionally with a
 *   google.rpc.RetryInfo in grpc-status-details-bin, as Google's quota errors carry;
 * - a Secret's etag, a new one whenever the secret's labels or annotations are set.
 *
 * Not emulated: IAM policies, conditional updates by etag, replication, rotation, CMEK, the full
 * filter grammar (OR, NOT, quoting, wildcards).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GrpcClient, grpc } from 'google-gax';

export const PROJECT_ID = 'hush-test';
export const PROJECT_NUMBER = '424242424242';

type State = 'ENABLED' | 'DISABLED' | 'DESTROYED';

interface Version {
  id: number;
  data: Buffer;
  state: State;
  createdMs: number;
}

interface StoredSecret {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  versions: Version[];
  createdMs: number;
  etag: string;
}

export interface FakeSecretManagerOptions {
  /** Returns who a bearer token belongs to, or undefined for an invalid token. */
  authorize: (token: string) => string | undefined;
}

export interface FakeSecretManager {
  /** http://127.0.0.1:<port> — the value for HUSH_GCPSM_ENDPOINT. */
  url: string;
  port: number;
  /** Adds a version (creating the secret); returns its number. `location` makes it regional. */
  addVersion(key: string, data: string | Buffer, opts?: { location?: string; labels?: Record<string, string>; annotations?: Record<string, string> }): number;
  /** Creates a secret without versions, or updates its labels/annotations. */
  putSecret(key: string, opts: { location?: string; labels?: Record<string, string>; annotations?: Record<string, string> }): void;
  setVersionState(key: string, version: number, state: State, location?: string): void;
  deleteSecret(key: string, location?: string): void;
  /** Denies `principal` every call on secrets whose key starts with `prefix`. */
  deny(principal: string, prefix: string): void;
  /** The next `n` calls answer RESOURCE_EXHAUSTED; with `retryDelayMs`, the status details carry a RetryInfo of that delay. */
  throttle(n: number, opts?: { retryDelayMs?: number }): void;
  /** Calls served so far, by RPC name ("AccessSecretVersion", ...). */
  calls: Map<string, number>;
  /** Principals seen, in call order (who authenticated). */
  principals: string[];
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

function loadService(): grpc.ServiceDefinition {
  const protos = join(dirname(require.resolve('@google-cloud/secret-manager/package.json')), 'build', 'protos');
  const loaded = new GrpcClient().loadProto(protos, 'google/cloud/secretmanager/v1/service.proto') as unknown as {
    google: { cloud: { secretmanager: { v1: { SecretManagerService: { service: grpc.ServiceDefinition } } } } };
  };
  return loaded.google.cloud.secretmanager.v1.SecretManagerService.service;
}

class Failure extends Error {
  readonly code: grpc.status;
  readonly metadata: grpc.Metadata;
  constructor(code: grpc.status, message: string, metadata = new grpc.Metadata()) {
    super(message);
    this.code = code;
    this.metadata = metadata;
  }
}

// Protobuf wire encoding, just enough for a google.rpc.Status with one RetryInfo.
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}
const field = (no: number, v: number | Buffer): Buffer => (typeof v === 'number' ? Buffer.concat([varint(no << 3), varint(v)]) : Buffer.concat([varint((no << 3) | 2), varint(v.length), v]));

/** grpc-status-details-bin: google.rpc.Status{code, message, details: [Any(google.rpc.RetryInfo{retry_delay})]}. */
function retryInfoStatus(code: number, message: string, delayMs: number): Buffer {
  const duration = Buffer.concat([field(1, Math.floor(delayMs / 1000)), field(2, (delayMs % 1000) * 1e6)]);
  const retryInfo = field(1, duration);
  const any = Buffer.concat([field(1, Buffer.from('type.googleapis.com/google.rpc.RetryInfo')), field(2, retryInfo)]);
  return Buffer.concat([field(1, code), field(2, Buffer.from(message, 'utf8')), field(3, any)]);
}

export async function startFakeSecretManager(opts: FakeSecretManagerOptions): Promise<FakeSecretManager> {
  const secrets = new Map<string, StoredSecret>();
  const denied: { principal: string; prefix: string }[] = [];
  const calls = new Map<string, number>();
  const principals: string[] = [];
  let throttled = 0;
  let throttleDelayMs: number | undefined;
  let etags = 0;
  const newEtag = (): string => `"${(0x5f1b6b2a2d0c0 + ++etags).toString(16)}"`;
  let clock = Date.parse('2025-01-01T00:00:00Z');
  const tick = (): number => (clock += 1000);

  /** `projects/<id or number>/[locations/L/]secrets/K` → canonical storage key with the number. */
  const canonical = (name: string): { parent: string; key: string; rest: string } => {
    const m = /^projects\/([^/]+)\/((?:locations\/[^/]+\/)?)secrets\/([^/]+)(\/.*)?$/.exec(name);
    if (!m || (m[1] !== PROJECT_ID && m[1] !== PROJECT_NUMBER)) throw new Failure(grpc.status.INVALID_ARGUMENT, `Invalid resource name [${name}].`);
    return { parent: `projects/${PROJECT_NUMBER}/${m[2] ?? ''}`, key: m[3] as string, rest: m[4] ?? '' };
  };
  const storageName = (key: string, location?: string): string => `projects/${PROJECT_NUMBER}/${location ? `locations/${location}/` : ''}secrets/${key}`;

  const guard = (rpc: string, md: grpc.Metadata, key?: string): void => {
    calls.set(rpc, (calls.get(rpc) ?? 0) + 1);
    const auth = md.get('authorization')[0];
    const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const who = token === undefined ? undefined : opts.authorize(token);
    if (who === undefined) throw new Failure(grpc.status.UNAUTHENTICATED, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    principals.push(who);
    if (throttled > 0) {
      throttled--;
      const message = "Quota exceeded for quota metric 'Access requests' of service 'secretmanager.googleapis.com'.";
      const md = new grpc.Metadata();
      if (throttleDelayMs !== undefined) md.set('grpc-status-details-bin', retryInfoStatus(grpc.status.RESOURCE_EXHAUSTED, message, throttleDelayMs));
      throw new Failure(grpc.status.RESOURCE_EXHAUSTED, message, md);
    }
    if (key !== undefined && denied.some((d) => d.principal === who && key.startsWith(d.prefix))) {
      throw new Failure(grpc.status.PERMISSION_DENIED, `Permission 'secretmanager.versions.access' denied for resource '${key}' (or it may not exist).`);
    }
  };

  const handler = <Req, Res>(fn: (req: Req, md: grpc.Metadata) => Res) => (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>): void => {
    try {
      cb(null, fn(call.request, call.metadata));
    } catch (err) {
      if (err instanceof Failure) cb({ code: err.code, details: err.message, metadata: err.metadata, name: 'Error', message: err.message });
      else cb({ code: grpc.status.INTERNAL, details: String(err), metadata: new grpc.Metadata(), name: 'Error', message: String(err) });
    }
  };

  const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: 0 });
  const secretMessage = (name: string, s: StoredSecret) => ({ name, labels: s.labels, annotations: s.annotations, createTime: ts(s.createdMs), replication: { automatic: {} }, etag: s.etag });

  const pageOf = <T>(items: T[], pageSize: number, pageToken: string): { page: T[]; next: string } => {
    const size = pageSize > 0 ? pageSize : 3;
    const start = pageToken ? Number(pageToken) : 0;
    const page = items.slice(start, start + size);
    return { page, next: start + size < items.length ? String(start + size) : '' };
  };

  const server = new grpc.Server();
  server.addService(loadService(), {
    AccessSecretVersion: handler((req: { name: string }, md) => {
      const { parent, key, rest } = canonical(req.name);
      guard('AccessSecretVersion', md, key);
      const m = /^\/versions\/([^/]+)$/.exec(rest);
      if (!m) throw new Failure(grpc.status.INVALID_ARGUMENT, `Invalid resource name [${req.name}].`);
      const s = secrets.get(`${parent}secrets/${key}`);
      if (!s || s.versions.length === 0) throw new Failure(grpc.status.NOT_FOUND, `Secret [${parent}secrets/${key}] not found or has no versions.`);
      const v = m[1] === 'latest' ? s.versions[s.versions.length - 1] : s.versions.find((x) => String(x.id) === m[1]);
      const vname = `${parent}secrets/${key}/versions/${v?.id ?? m[1]}`;
      if (!v) throw new Failure(grpc.status.NOT_FOUND, `Secret Version [${vname}] not found.`);
      if (v.state !== 'ENABLED') throw new Failure(grpc.status.FAILED_PRECONDITION, `Secret Version [${vname}] is in ${v.state} state.`);
      return { name: vname, payload: { data: v.data } };
    }),
    GetSecret: handler((req: { name: string }, md) => {
      const { parent, key } = canonical(req.name);
      guard('GetSecret', md, key);
      const s = secrets.get(`${parent}secrets/${key}`);
      if (!s) throw new Failure(grpc.status.NOT_FOUND, `Secret [${parent}secrets/${key}] not found.`);
      return secretMessage(`${parent}secrets/${key}`, s);
    }),
    ListSecrets: handler((req: { parent: string; filter: string; pageSize: number; pageToken: string }, md) => {
      guard('ListSecrets', md);
      const pm = /^projects\/([^/]+)((?:\/locations\/[^/]+)?)$/.exec(req.parent);
      if (!pm || (pm[1] !== PROJECT_ID && pm[1] !== PROJECT_NUMBER)) throw new Failure(grpc.status.INVALID_ARGUMENT, `Invalid resource name [${req.parent}].`);
      const prefix = `projects/${PROJECT_NUMBER}${pm[2] ?? ''}/secrets/`;
      const terms = (req.filter ?? '').split(' ').filter((t) => t !== '');
      const matches = (name: string, s: StoredSecret): boolean =>
        terms.every((t) => {
          const lm = /^labels\.([^=:]+)[=:](.*)$/.exec(t);
          if (lm) return s.labels[lm[1] as string] === lm[2];
          const nm = /^name:(.*)$/.exec(t);
          if (nm) return name.includes(nm[1] as string);
          throw new Failure(grpc.status.INVALID_ARGUMENT, `Invalid filter [${req.filter}] (the fake supports labels.K=V and name:S terms only).`);
        });
      const all = [...secrets.entries()].filter(([n, s]) => n.startsWith(prefix) && !n.slice(prefix.length).includes('/') && matches(n, s)).sort(([a], [b]) => (a < b ? -1 : 1));
      const { page, next } = pageOf(all, req.pageSize, req.pageToken);
      return { secrets: page.map(([n, s]) => secretMessage(n, s)), nextPageToken: next, totalSize: all.length };
    }),
    ListSecretVersions: handler((req: { parent: string; filter: string; pageSize: number; pageToken: string }, md) => {
      const { parent, key } = canonical(req.parent);
      guard('ListSecretVersions', md, key);
      const s = secrets.get(`${parent}secrets/${key}`);
      if (!s) throw new Failure(grpc.status.NOT_FOUND, `Secret [${parent}secrets/${key}] not found.`);
      const want = /^state:(\w+)$/.exec(req.filter ?? '')?.[1];
      const vs = [...s.versions].reverse().filter((v) => want === undefined || v.state === want);
      const { page, next } = pageOf(vs, req.pageSize, req.pageToken);
      return {
        versions: page.map((v) => ({ name: `${parent}secrets/${key}/versions/${v.id}`, state: v.state, createTime: ts(v.createdMs) })),
        nextPageToken: next,
        totalSize: vs.length,
      };
    }),
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });

  const ensure = (key: string, o: { location?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): StoredSecret => {
    const name = storageName(key, o.location);
    let s = secrets.get(name);
    if (!s) {
      s = { labels: {}, annotations: {}, versions: [], createdMs: tick(), etag: newEtag() };
      secrets.set(name, s);
    }
    if (o.labels) s.labels = { ...o.labels };
    if (o.annotations) s.annotations = { ...o.annotations };
    if (o.labels || o.annotations) s.etag = newEtag();
    return s;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    addVersion(key, data, o = {}) {
      const s = ensure(key, o);
      const id = (s.versions[s.versions.length - 1]?.id ?? 0) + 1;
      s.versions.push({ id, data: Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8'), state: 'ENABLED', createdMs: tick() });
      return id;
    },
    putSecret(key, o) {
      ensure(key, o);
    },
    setVersionState(key, version, state, location) {
      const v = secrets.get(storageName(key, location))?.versions.find((x) => x.id === version);
      if (!v) throw new Error(`no version ${version} of ${key}`);
      v.state = state;
      if (state === 'DESTROYED') v.data = Buffer.alloc(0);
    },
    deleteSecret(key, location) {
      secrets.delete(storageName(key, location));
    },
    deny(principal, prefix) {
      denied.push({ principal, prefix });
    },
    throttle(n, o = {}) {
      throttled = n;
      throttleDelayMs = o.retryDelayMs;
    },
    calls,
    principals,
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}
