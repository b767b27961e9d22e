/**
 * The egress policy's rules, judged on addresses (no sockets): each default
 * refused range, the tenant/cluster split, allow/deny precedence, hostname
 * entries and the IPv6 forms that carry an IPv4 address.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EgressPolicy, splitList } from './egress.ts';

const strict = new EgressPolicy();

function refused(p: EgressPolicy, address: string, scope: 'tenant' | 'cluster', host = address): string {
  const d = p.decide(host, address, scope);
  assert.equal(d.allowed, false, `${address} (${scope}) should be refused`);
  return d.allowed ? '' : d.reason;
}
function allowed(p: EgressPolicy, address: string, scope: 'tenant' | 'cluster', host = address): void {
  const d = p.decide(host, address, scope);
  assert.equal(d.allowed, true, `${address} (${scope}) should be allowed: ${d.allowed ? '' : d.reason}`);
}

void test('cloud metadata, loopback, link-local, unspecified and multicast are refused for every store', () => {
  for (const scope of ['tenant', 'cluster'] as const) {
    assert.match(refused(strict, '169.254.169.254', scope), /169\.254\.169\.254 is link-local \(where cloud metadata services live\).*--egress-allow/);
    assert.match(refused(strict, '127.0.0.1', scope), /is loopback/);
    assert.match(refused(strict, '127.9.9.9', scope), /is loopback/);
    assert.match(refused(strict, '::1', scope), /is loopback/);
    assert.match(refused(strict, 'fe80::1', scope), /is link-local/);
    assert.match(refused(strict, '0.0.0.0', scope), /unspecified/);
    assert.match(refused(strict, '::', scope), /unspecified/);
    assert.match(refused(strict, '224.0.0.251', scope), /multicast/);
    assert.match(refused(strict, 'ff02::1', scope), /multicast/);
    assert.match(refused(strict, '255.255.255.255', scope), /broadcast/);
  }
});

void test('private and CGNAT ranges are refused for tenant stores and allowed for cluster stores', () => {
  for (const a of ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', 'fd00::1', 'fc12::1']) {
    assert.match(refused(strict, a, 'tenant'), /which namespaced SecretStores and SopsSecrets may not reach \(a ClusterSecretStore may\)/);
    allowed(strict, a, 'cluster');
  }
  // Just outside the ranges.
  for (const a of ['172.32.0.1', '172.15.255.255', '100.128.0.1', '11.0.0.1', '8.8.8.8', '2001:4860:4860::8888']) allowed(strict, a, 'tenant');
});

void test('IPv4-mapped, IPv4-compatible and NAT64 IPv6 forms are judged as the IPv4 address they carry', () => {
  assert.match(refused(strict, '::ffff:169.254.169.254', 'cluster'), /::ffff:169\.254\.169\.254 \(169\.254\.169\.254\) is link-local/);
  assert.match(refused(strict, '::ffff:a9fe:a9fe', 'cluster'), /\(169\.254\.169\.254\) is link-local/);
  assert.match(refused(strict, '::ffff:127.0.0.1', 'cluster'), /loopback/);
  assert.match(refused(strict, '::127.0.0.1', 'cluster'), /loopback/);
  assert.match(refused(strict, '64:ff9b::a9fe:a9fe', 'cluster'), /link-local/);
  assert.match(refused(strict, '::ffff:10.1.2.3', 'tenant'), /private \(10\.0\.0\.0\/8\)/);
  allowed(strict, '::ffff:8.8.8.8', 'tenant');
});

void test('the cluster service CIDR is refused for tenant stores only', () => {
  const p = new EgressPolicy({ clusterServiceCidrs: ['198.18.0.0/15'] });
  assert.match(refused(p, '198.18.0.10', 'tenant'), /in the cluster's service CIDR \(198\.18\.0\.0\/15\)/);
  allowed(p, '198.18.0.10', 'cluster');
  allowed(strict, '198.18.0.10', 'tenant');
});

void test('allow entries open ranges and names; deny entries win over allow entries', () => {
  const p = new EgressPolicy({ allow: ['127.0.0.1/32', '10.1.0.0/16', 'vault.internal', '*.svc.cluster.local', '169.254.169.254'], deny: ['10.1.2.0/24', 'bad.svc.cluster.local'] });
  allowed(p, '127.0.0.1', 'tenant');
  refused(p, '127.0.0.2', 'tenant');
  allowed(p, '10.1.9.9', 'tenant');
  assert.match(refused(p, '10.1.2.3', 'cluster'), /matches --egress-deny \(HUSH_EGRESS_DENY\) entry 10\.1\.2\.0\/24/);
  // A hostname entry trusts the name, whatever it resolves to.
  allowed(p, '10.200.0.1', 'tenant', 'vault.internal');
  allowed(p, '10.200.0.1', 'tenant', 'VAULT.internal.');
  allowed(p, '10.200.0.1', 'tenant', 'vault.ns.svc.cluster.local');
  refused(p, '10.200.0.1', 'tenant', 'svc.cluster.local');
  assert.match(refused(p, '10.200.0.1', 'cluster', 'bad.svc.cluster.local'), /bad\.svc\.cluster\.local matches --egress-deny/);
  allowed(p, '169.254.169.254', 'tenant');
  // A deny entry refuses what no default rule does, and IPv4-mapped forms of it too.
  const d = new EgressPolicy({ deny: ['8.8.8.8'] });
  refused(d, '8.8.8.8', 'cluster');
  refused(d, '::ffff:8.8.8.8', 'cluster');
});

void test('bad entries are refused with the flag and the entry named', () => {
  assert.throws(() => new EgressPolicy({ allow: ['10.0.0.0/33'] }), /--egress-allow: "10\.0\.0\.0\/33" is not a valid CIDR/);
  assert.throws(() => new EgressPolicy({ deny: ['vault:8200'] }), /--egress-deny: "vault:8200" is neither a CIDR/);
  assert.throws(() => new EgressPolicy({ clusterServiceCidrs: ['nope'] }), /--cluster-service-cidr: "nope" is not a CIDR/);
});

void test('fromEnv reads HUSH_EGRESS_ALLOW, HUSH_EGRESS_DENY and HUSH_CLUSTER_SERVICE_CIDR and adds the flags', () => {
  const p = EgressPolicy.fromEnv({ HUSH_EGRESS_ALLOW: '127.0.0.1/32, ::1/128', HUSH_EGRESS_DENY: '127.0.0.1', HUSH_CLUSTER_SERVICE_CIDR: '198.18.0.0/15' }, { allow: ['192.0.2.0/24'] });
  allowed(p, '::1', 'tenant');
  refused(p, '127.0.0.1', 'tenant');
  refused(p, '198.18.0.1', 'tenant');
  assert.deepEqual(splitList(' a, ,b ,'), ['a', 'b']);
});

void test('check() names the address, the host asked for, the rule and the flag', () => {
  const err = strict.check('metadata.google.internal', '169.254.169.254', 'cluster');
  assert.equal(err?.code, 'EgressDenied');
  assert.equal(err?.retryable, true);
  assert.equal(err?.retryAfterMs, 5 * 60_000);
  assert.equal(err?.message, 'egress to 169.254.169.254 (for host "metadata.google.internal") refused: 169.254.169.254 is link-local (where cloud metadata services live); to allow it, add it to --egress-allow (HUSH_EGRESS_ALLOW)');
  assert.equal(strict.check('example.com', '93.184.216.34', 'tenant'), undefined);
});

test('a hostname allow entry lifts the private-range rules for that name, never loopback or link-local', () => {
  const p = new EgressPolicy({ allow: ['*.svc.cluster.local'] });
  // An in-cluster Vault by its service name: allowed to a tenant store.
  assert.equal(p.decide('vault.vault.svc.cluster.local', '10.96.0.10', 'tenant').allowed, true);
  // The same suffix made to resolve to the metadata service or loopback (an ExternalName Service): refused.
  for (const address of ['169.254.169.254', '127.0.0.1', '::1', '::ffff:169.254.169.254']) {
    const d = p.decide('evil.tenant.svc.cluster.local', address, 'tenant');
    assert.equal(d.allowed, false, address);
    assert.equal(p.decide('evil.tenant.svc.cluster.local', address, 'cluster').allowed, false, `${address} (cluster scope)`);
  }
  // A CIDR entry still opens loopback, as `hush dev env` does.
  assert.equal(new EgressPolicy({ allow: ['127.0.0.1/32'] }).decide('localhost', '127.0.0.1', 'tenant').allowed, true);
});
