/**
 * The egress policy: which addresses the controller may connect to on behalf
 * of a store. Store specs are tenant input (a namespaced SecretStore's server
 * URL, a webhook's URL template, a SOPS file's key URIs), so without a policy
 * a tenant could make the controller fetch cloud metadata (169.254.169.254),
 * loopback admin ports or cluster-internal services and read the answer back
 * through its Secret or its status.
 *
 * Rules, first match wins:
 *   1. `--egress-deny` entries (CIDRs or hostnames) refuse, always.
 *   2. `--egress-allow` entries allow: a hostname entry trusts the name,
 *      whatever it resolves to; a CIDR entry opens that range.
 *   3. Refused for every store: loopback, link-local (incl. cloud metadata),
 *      unspecified, multicast, broadcast/reserved.
 *   4. Refused for tenant stores only (namespaced SecretStores, SopsSecrets):
 *      private ranges (RFC 1918, CGNAT, IPv6 ULA) and the cluster's service
 *      CIDR. ClusterSecretStores are created by cluster admins, who may point
 *      them at an in-cluster Vault.
 *   5. Everything else is allowed.
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64
 * (64:ff9b::a.b.c.d) IPv6 forms are judged as the IPv4 address they carry.
 *
 * The check is made on the address actually dialled, after DNS resolution
 * (see guard.ts): checking a name and then resolving it again to connect
 * would let DNS rebinding answer differently the second time.
 */
import net from 'node:net';
import { EgressDeniedError } from '../util/errors.ts';

/** Who chose the address: a cluster admin (ClusterSecretStore) or a tenant (SecretStore, SopsSecret). */
export type EgressScope = 'cluster' | 'tenant';

export interface EgressConfig {
  /** CIDRs, addresses and hostnames (`vault.example.com`, `*.svc.cluster.local`) to allow. */
  allow?: string[];
  /** CIDRs, addresses and hostnames to refuse; they win over `allow`. */
  deny?: string[];
  /** The cluster's service CIDR(s), refused for tenant stores like the private ranges. */
  clusterServiceCidrs?: string[];
}

interface Ip {
  v: 4 | 6;
  n: bigint;
}

interface Cidr {
  v: 4 | 6;
  base: bigint;
  bits: number;
  text: string;
}

interface Rule {
  cidr: Cidr;
  /** Ends the sentence "<address> is …". */
  what: string;
  scope: 'all' | 'tenant';
}

/** The names of the operator's flags, for messages that tell how to change a decision. */
export const ALLOW_FLAG = '--egress-allow (HUSH_EGRESS_ALLOW)';
export const DENY_FLAG = '--egress-deny (HUSH_EGRESS_DENY)';

const defaultRules: readonly Rule[] = [
  rule('127.0.0.0/8', 'loopback', 'all'),
  rule('::1/128', 'loopback', 'all'),
  rule('169.254.0.0/16', 'link-local (where cloud metadata services live)', 'all'),
  rule('fe80::/10', 'link-local', 'all'),
  rule('0.0.0.0/8', 'unspecified ("this network")', 'all'),
  rule('::/128', 'unspecified', 'all'),
  rule('224.0.0.0/4', 'multicast', 'all'),
  rule('ff00::/8', 'multicast', 'all'),
  rule('240.0.0.0/4', 'reserved or broadcast', 'all'),
  rule('10.0.0.0/8', 'private (10.0.0.0/8)', 'tenant'),
  rule('172.16.0.0/12', 'private (172.16.0.0/12)', 'tenant'),
  rule('192.168.0.0/16', 'private (192.168.0.0/16)', 'tenant'),
  rule('100.64.0.0/10', 'carrier-grade NAT (100.64.0.0/10)', 'tenant'),
  rule('fc00::/7', 'a unique-local IPv6 address (fc00::/7)', 'tenant'),
];

function rule(cidr: string, what: string, scope: Rule['scope']): Rule {
  return { cidr: parseCidr(cidr)!, what, scope };
}

/**
 * What `hush dev env` exports as HUSH_EGRESS_ALLOW: the local control plane
 * (API server, OpenBao, moto) listens on loopback, which the defaults refuse.
 */
export const DEV_EGRESS_ALLOW = '127.0.0.1/32,::1/128';

export type EgressDecision = { allowed: true } | { allowed: false; reason: string };

export class EgressPolicy {
  private readonly allowCidrs: Cidr[] = [];
  private readonly allowHosts: string[] = [];
  private readonly denyCidrs: Cidr[] = [];
  private readonly denyHosts: string[] = [];
  private readonly rules: Rule[];

  /** Throws InvalidConfig-style TypeErrors naming the bad entry; the CLI turns them into usage errors. */
  constructor(config: EgressConfig = {}) {
    for (const e of config.allow ?? []) addEntry(e, this.allowCidrs, this.allowHosts, 'allow');
    for (const e of config.deny ?? []) addEntry(e, this.denyCidrs, this.denyHosts, 'deny');
    this.rules = [...defaultRules];
    for (const c of config.clusterServiceCidrs ?? []) {
      const cidr = parseCidr(c.trim());
      if (!cidr) throw new TypeError(`--cluster-service-cidr: "${c}" is not a CIDR (e.g. 10.96.0.0/12)`);
      this.rules.push({ cidr, what: `in the cluster's service CIDR (${cidr.text})`, scope: 'tenant' });
    }
  }

  /**
   * The policy from the environment (HUSH_EGRESS_ALLOW, HUSH_EGRESS_DENY,
   * HUSH_CLUSTER_SERVICE_CIDR; comma separated), plus entries given on the command line.
   */
  static fromEnv(env: NodeJS.ProcessEnv, extra: EgressConfig = {}): EgressPolicy {
    return new EgressPolicy({
      allow: [...splitList(env.HUSH_EGRESS_ALLOW), ...(extra.allow ?? [])],
      deny: [...splitList(env.HUSH_EGRESS_DENY), ...(extra.deny ?? [])],
      clusterServiceCidrs: [...splitList(env.HUSH_CLUSTER_SERVICE_CIDR), ...(extra.clusterServiceCidrs ?? [])],
    });
  }

  /** Whether a connection to `address` (already resolved), asked for as `host`, may be made. */
  decide(host: string, address: string, scope: EgressScope): EgressDecision {
    const name = normalHost(host);
    const ip = parseIp(address);
    if (!ip) return { allowed: false, reason: `"${address}" is not an IP address` };
    const judged = embeddedV4(ip) ?? ip;
    const shown = judged === ip ? address : `${address} (${formatV4(judged.n)})`;
    for (const h of this.denyHosts) if (hostMatches(h, name)) return { allowed: false, reason: `${name} matches ${DENY_FLAG} entry "${h}"` };
    for (const c of this.denyCidrs) if (inCidr(judged, c) || inCidr(ip, c)) return { allowed: false, reason: `${shown} matches ${DENY_FLAG} entry ${c.text}` };
    for (const c of this.allowCidrs) if (inCidr(judged, c) || inCidr(ip, c)) return { allowed: true };
    // A hostname entry trusts what the name resolves to among private and cluster addresses, not
    // loopback or link-local: a tenant can make a name under a trusted suffix resolve anywhere (an
    // ExternalName Service under *.svc.cluster.local). Those need a CIDR entry.
    const nameTrusted = this.allowHosts.some((h) => hostMatches(h, name));
    for (const r of this.rules) {
      if (r.scope === 'tenant' && (scope !== 'tenant' || nameTrusted)) continue;
      if (!inCidr(judged, r.cidr)) continue;
      const who = r.scope === 'tenant' ? ', which namespaced SecretStores and SopsSecrets may not reach (a ClusterSecretStore may)' : '';
      return { allowed: false, reason: `${shown} is ${r.what}${who}; to allow it, add it to ${ALLOW_FLAG}` };
    }
    return { allowed: true };
  }

  /** decide(), as the error a connection fails with. */
  check(host: string, address: string, scope: EgressScope): EgressDeniedError | undefined {
    const d = this.decide(host, address, scope);
    if (d.allowed) return undefined;
    const asked = normalHost(host) === normalHost(address) ? '' : ` (for host "${normalHost(host)}")`;
    return new EgressDeniedError(`egress to ${address}${asked} refused: ${d.reason}`);
  }
}

export function splitList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function addEntry(entry: string, cidrs: Cidr[], hosts: string[], list: 'allow' | 'deny'): void {
  const e = entry.trim();
  if (e === '') return;
  const cidr = parseCidr(e);
  if (cidr) {
    cidrs.push(cidr);
    return;
  }
  if (e.includes('/')) throw new TypeError(`--egress-${list}: "${e}" is not a valid CIDR (e.g. 10.0.0.0/8 or fd00::/8)`);
  const h = normalHost(e);
  if (!/^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(h)) {
    throw new TypeError(`--egress-${list}: "${e}" is neither a CIDR, an IP address nor a hostname (ports are not part of an entry)`);
  }
  hosts.push(h);
}

function normalHost(h: string): string {
  return h.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** `*.example.com` matches every name below example.com (not example.com itself). */
function hostMatches(entry: string, name: string): boolean {
  if (entry.startsWith('*.')) return name.endsWith(entry.slice(1));
  return entry === name;
}

export function parseIp(text: string): Ip | undefined {
  const s = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (net.isIPv4(s)) return { v: 4, n: v4ToBig(s) };
  if (!net.isIPv6(s)) return undefined;
  let head = s;
  let tail: bigint[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4 = v4ToBig(dotted[1] as string);
    tail = [v4 >> 16n, v4 & 0xffffn];
    head = s.slice(0, -(dotted[1] as string).length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (x: string | undefined): bigint[] => (x ? x.split(':').filter((g) => g !== '').map((g) => BigInt(`0x${g}`)) : []);
  const l = groups(left);
  const r = [...groups(right), ...tail];
  const all = right === undefined && !head.includes('::') ? [...l, ...tail] : [...l, ...Array<bigint>(8 - l.length - r.length).fill(0n), ...r];
  let n = 0n;
  for (const g of all) n = (n << 16n) | g;
  return { v: 6, n };
}

function v4ToBig(s: string): bigint {
  return s.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function formatV4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
}

/** The IPv4 address an IPv6 address stands for: mapped ::ffff:0:0/96, compatible ::/96 (not :: or ::1), NAT64 64:ff9b::/96. */
function embeddedV4(ip: Ip): Ip | undefined {
  if (ip.v !== 6) return undefined;
  const high = ip.n >> 32n;
  const low = ip.n & 0xffffffffn;
  if (high === 0xffffn || high === 0x64ff9b0000000000000000n || (high === 0n && low > 1n)) return { v: 4, n: low };
  return undefined;
}

function parseCidr(text: string): Cidr | undefined {
  const [addr, bitsText, more] = text.split('/');
  if (more !== undefined || addr === undefined) return undefined;
  const ip = parseIp(addr);
  if (!ip) return undefined;
  const width = ip.v === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (!(bits >= 0 && bits <= width)) return undefined;
  const mask = ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
  return { v: ip.v, base: ip.n & mask, bits, text: bitsText === undefined ? addr : `${addr}/${bits}` };
}

function inCidr(ip: Ip, c: Cidr): boolean {
  if (ip.v !== c.v) return false;
  const width = c.v === 4 ? 32 : 128;
  const shift = BigInt(width - c.bits);
  return ip.n >> shift === c.base >> shift;
}
