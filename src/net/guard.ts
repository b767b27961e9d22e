/**
 * Where the egress policy is enforced: in the connection path, on the address
 * actually dialled. An EgressGuard is the policy bound to one store's scope;
 * it hands out http(s) Agents whose createConnection
 *   - refuses an IP-literal host at once (net skips `lookup` for those), and
 *   - gives net/tls a `lookup` that resolves the name, drops every refused
 *     address and returns only the checked ones, so the socket connects to
 *     exactly what was checked: there is no second resolution for DNS
 *     rebinding to answer differently.
 * The host name itself is left alone, so TLS still sends it as SNI and checks
 * the certificate against it.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { EgressDeniedError } from '../util/errors.ts';
import type { EgressPolicy, EgressScope } from './egress.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address; injectable so tests can play a rebinding DNS server. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = async (hostname) => {
  const all = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export interface EgressGuardOptions {
  resolver?: Resolver;
  /** Host names the controller itself chose (its own API server, a metadata endpoint from its environment), trusted whatever they resolve to. */
  trusted?: string[];
}

export class EgressGuard {
  readonly policy: EgressPolicy;
  readonly scope: EgressScope;
  private readonly resolver: Resolver;
  private readonly trusted: Set<string>;

  constructor(policy: EgressPolicy, scope: EgressScope, options: EgressGuardOptions = {}) {
    this.policy = policy;
    this.scope = scope;
    this.resolver = options.resolver ?? systemResolver;
    this.trusted = new Set((options.trusted ?? []).map(normal));
  }

  /** The same guard, also trusting `hosts`: for endpoints the operator configured, not the tenant. */
  trusting(...hosts: (string | undefined)[]): EgressGuard {
    const more = hosts.filter((h): h is string => !!h).map((h) => hostOfUrlOrName(h));
    return new EgressGuard(this.policy, this.scope, { resolver: this.resolver, trusted: [...this.trusted, ...more] });
  }

  /** The error for connecting to `address` as `host`, or undefined when allowed. */
  check(host: string, address: string): EgressDeniedError | undefined {
    if (this.trusted.has(normal(host))) return undefined;
    return this.policy.check(host, address, this.scope);
  }

  /** Resolves `host` and returns the addresses the policy allows; throws EgressDeniedError when none is. */
  async resolve(host: string): Promise<ResolvedAddress[]> {
    const h = normal(host);
    const family = net.isIP(h);
    const answers: ResolvedAddress[] = family ? [{ address: h, family: family === 6 ? 6 : 4 }] : await this.resolver(h);
    const ok: ResolvedAddress[] = [];
    let first: EgressDeniedError | undefined;
    for (const a of answers) {
      const err = this.check(h, a.address);
      if (err) first ??= err;
      else ok.push(a);
    }
    if (ok.length === 0) {
      if (first) throw first;
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND', hostname: h });
    }
    return ok;
  }

  /** A `lookup` for net/tls that only ever returns checked addresses. */
  readonly lookup: net.LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (ok) => {
        const fam = options.family === 4 || options.family === 6 ? options.family : 0;
        const fit = fam ? ok.filter((a) => a.family === fam) : ok;
        if (fit.length === 0) {
          callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
          return;
        }
        if (options.all) callback(null, fit.map((a) => ({ address: a.address, family: a.family })));
        else callback(null, fit[0]!.address, fit[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };

  /** A keep-alive Agent whose every connection passes this guard. */
  agent(protocol: 'http:' | 'https:', options: https.AgentOptions = {}): http.Agent {
    return protocol === 'https:' ? new GuardedHttpsAgent(this, options) : new GuardedHttpAgent(this, options);
  }

  /**
   * The agents' createConnection: an IP-literal host is checked here (net skips `lookup` for
   * those); a name gets the guarded lookup. Returns undefined after failing `callback`.
   */
  connectOptions(options: http.ClientRequestArgs, callback: ConnectCallback | undefined): http.ClientRequestArgs | undefined {
    const host = normal(String(options.host ?? options.hostname ?? 'localhost'));
    if (!net.isIP(host)) return { ...options, lookup: this.lookup };
    const err = this.check(host, host);
    if (!err) return options;
    // Asynchronously, as a failed connect would: the request emits it as its error.
    process.nextTick(() => callback?.(err, undefined as unknown as Duplex));
    return undefined;
  }

  /** A TCP connection to host:port through the guard (the webhook provider's reachability check). */
  async connect(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const [addr] = await this.resolve(host);
    await new Promise<void>((resolve, reject) => {
      const sock = net.connect({ host: addr!.address, port });
      const done = (err?: Error): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        sock.destroy();
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => done(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
      const onAbort = (): void => done(new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      sock.once('connect', () => done());
      sock.once('error', (e) => done(e));
    });
  }
}

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

// Subclasses rather than a patched method, so every connection of the agent passes the guard, whoever asks for it.
class GuardedHttpAgent extends http.Agent {
  private readonly guard: EgressGuard;
  constructor(guard: EgressGuard, options: http.AgentOptions) {
    super(options);
    this.guard = guard;
  }
  override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    const checked = this.guard.connectOptions(options, callback);
    return checked ? super.createConnection(checked, callback) : undefined;
  }
}

class GuardedHttpsAgent extends https.Agent {
  private readonly guard: EgressGuard;
  constructor(guard: EgressGuard, options: https.AgentOptions) {
    super(options);
    this.guard = guard;
  }
  override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    const checked = this.guard.connectOptions(options, callback);
    return checked ? super.createConnection(checked, callback) : undefined;
  }
}

function normal(h: string): string {
  return h.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

function hostOfUrlOrName(s: string): string {
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return new URL(s).hostname;
  } catch {
    // not a URL: a bare host name
  }
  return s;
}
