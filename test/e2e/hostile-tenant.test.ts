/**
 * The hostile tenant (issue 9, docs/security.md). A tenant holds create rights
 * on SecretStores and ExternalSecrets of one namespace and nothing else; every
 * tenant object here is created with the tenant's own token, so the API
 * server proves those rights suffice. The controller runs in this process with
 * the production defaults of every policy, plus one explicit egress allowance
 * for the loopback servers the tests point stores at on purpose.
 *
 * What the tenant tries, and what must hold:
 * - ambient credentials: the controller's token, its cloud identity, a token
 *   with a foreign audience: a capture server proves nothing arrived;
 * - egress: metadata, loopback, the API server, a name resolving to loopback:
 *   refused, and nothing arrived;
 * - a 1 GiB answer: cut at the cap, the process's RSS stays flat;
 * - catastrophic regexps at every site, and template CPU bombs: a healthy
 *   ExternalSecret of another namespace keeps syncing; the event-loop lag is
 *   measured and reported;
 * - canaries through transformed template errors, fail, assembly errors and
 *   key names: absent from every log line, event, status and metric.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ClusterSecretStores, ExternalSecrets, Secrets, SecretStores, cleanupCreated, created, createNamespace, getEs, harness, putVaultKv2, readyOf, startController, trackClusterObject, uniqueName, waitReady, type EsView, type Harness, type RunningController } from '../support/harness.ts';
import { asTenant, captureServer, createTenant, healthyProbe, lagMonitor, type CaptureServer, type HealthyProbe, type Tenant } from '../support/hostile.ts';
import { Events } from '../../src/kube/resources.ts';
import { waitFor } from '../support/index.ts';
import { createVaultProvider } from '../../src/providers/vault/provider.ts';
import { providerFor } from '../../src/providers/registry.ts';
import { EgressPolicy } from '../../src/net/egress.ts';

let h: Harness;
let ctl: RunningController;
let tenant: Tenant;
let probe: HealthyProbe;
/** The loopback server the egress policy allows, so that the ambient-credential tests can prove the other policy holds. */
let allowedCapture: CaptureServer;
/**
 * A second controller, with the production egress policy (no allowance at all), serving only the
 * second tenant's namespace and the stores that name it (spec.controller: strict). The first one
 * allows loopback as `hush dev env` does, since OpenBao and the capture servers listen there.
 */
let strict: RunningController;
let strictTenant: Tenant;

/** The controller's own ServiceAccount token, as if mounted in its pod: a capture server must never see it. */
const controllerToken = `CONTROLLER-TOKEN-${randomBytes(12).toString('hex')}`;
const tokenDir = mkdtempSync(join(tmpdir(), 'hush-hostile-'));
const tokenFile = join(tokenDir, 'token');

before(async () => {
  h = await harness();
  allowedCapture = await captureServer();
  writeFileSync(tokenFile, controllerToken);
  // The cloud default chains of the controller's environment point at the capture server, with
  // credentials of the controller's own: a tenant store must use none of them.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIACONTROLLERAMBIENT',
    AWS_SECRET_ACCESS_KEY: controllerToken,
    AWS_SECRETSMANAGER_ENDPOINT: allowedCapture.url,
    AWS_SSM_ENDPOINT: allowedCapture.url,
    AWS_STS_ENDPOINT: allowedCapture.url,
    HUSH_GCPSM_ENDPOINT: allowedCapture.url,
  });
  ctl = await startController(h, { ...hostilePolicies(), providerFor: (k) => (k === 'vault' ? vault : providerFor(k)) });
  tenant = await createTenant(h);
  strictTenant = await createTenant(h, 'strict');
  strict = await startController(h, { controllerClass: 'strict', namespace: strictTenant.namespace, enableClusterStores: false, enableClusterExternalSecrets: false, egress: EgressPolicy.fromEnv({}) });
  probe = await healthyProbe(h);
});
after(async () => {
  try {
    await cleanupCreated();
  } finally {
    await strict?.stop();
    await ctl?.stop();
    rmSync(tokenDir, { recursive: true, force: true });
  }
});

const vault = createVaultProvider({ mountedTokenPath: tokenFile });

/** The production defaults, plus the loopback addresses this suite reaches on purpose. */
function hostilePolicies() {
  return {};
}

const vaultRef = (name: string) => ({ name, kind: 'SecretStore' });

async function tenantStore(name: string, provider: Record<string, unknown>): Promise<void> {
  await asTenant(tenant, SecretStores, { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name, namespace: tenant.namespace }, spec: { provider } });
}

async function tenantEs(name: string, spec: Record<string, unknown>): Promise<void> {
  await asTenant(tenant, ExternalSecrets, { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name, namespace: tenant.namespace }, spec: { refreshInterval: '1h', ...spec } });
}

/** Ready=False of a tenant object, with its message. */
async function refused(rt: typeof SecretStores, name: string, timeoutMs = 30_000): Promise<string> {
  const o = await waitReady(h.kube, rt, tenant.namespace, name, 'False', timeoutMs);
  return readyOf(o)?.message ?? '';
}

test('the tenant can create SecretStores and ExternalSecrets, and cannot read Secrets', async () => {
  await assert.rejects(tenant.kube.list(Secrets, { namespace: tenant.namespace }), /forbidden|403/i);
  await tenantStore('rights', { fake: { data: [{ key: 'k', value: 'v' }] } });
  await waitReady(h.kube, SecretStores, tenant.namespace, 'rights');
});

/** A Vault SecretStore of the tenant. Its token Secret is the platform's doing: the tenant may not create Secrets. */
async function tenantVaultStore(name: string): Promise<void> {
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-token`, namespace: tenant.namespace }, stringData: { token: h.env.vaultToken } } as never);
  await tenantStore(name, { vault: { server: h.env.vaultAddr, path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: `${name}-token`, key: 'token' } } } });
  await waitReady(h.kube, SecretStores, tenant.namespace, name);
}

/** Waits until an ExternalSecret has a Ready condition either way: the controller got through it. */
async function settled(namespace: string, name: string, timeoutMs = 60_000) {
  return waitFor(
    async () => {
      const r = readyOf(await getEs(h.kube, namespace, name));
      return r && (r.status === 'True' || r.status === 'False') ? r : undefined;
    },
    { timeoutMs, message: `ExternalSecret ${namespace}/${name} reconciled` },
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

test('catastrophic regexps at every site and template CPU bombs: another namespace keeps syncing; the event-loop lag is reported', async (t) => {
  // Keys of 40 a's and a b: each pattern below backtracks exponentially over them on a
  // backtracking engine (26 characters took seconds), and runs in linear time on RE2.
  const run = 'a'.repeat(40) + 'b';
  const base = `hostile/${uniqueName('redos')}`;
  await putVaultKv2(h.env, `${base}/${run}`, { [run]: run });
  await tenantVaultStore('redos');
  // A ClusterSecretStore (the platform's) whose namespaceRegexes meet a namespace named like the keys.
  const longNs = await createNamespace(h.kube, 'a'.repeat(40));
  const css = uniqueName('redos-css');
  await h.kube.create(ClusterSecretStores, {
    apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name: css },
    spec: { conditions: [{ namespaceRegexes: ['^(a+)+$'] }], provider: { fake: { data: [{ key: 'k', value: 'v' }] } } },
  } as never);
  trackClusterObject(h.kube, ClusterSecretStores, css);

  // A webhook store whose answer names are the long run, filtered by a catastrophic jsonPath =~.
  const names = await captureServer((_r, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [{ name: run }, { name: 'aaa' }] })));
  await tenantStore('redos-jsonpath', { webhook: { url: `${names.url}/{{ .remoteRef.key }}`, result: { jsonPath: '$.items[?(@.name =~ "^(a+)+$")].name' } } });

  const baseline: number[] = [];
  for (let i = 0; i < 3; i++) baseline.push(await probe.propagate());

  const lag = lagMonitor();
  lag.start();
  const store = vaultRef('redos');
  const attacks: Record<string, Record<string, unknown>> = {
    'find-name': { secretStoreRef: store, dataFrom: [{ find: { path: base, name: { regexp: '(a+)+$' } } }] },
    rewrite: { secretStoreRef: store, dataFrom: [{ find: { path: base }, rewrite: [{ regexp: { source: '(a+)+$', target: 'x' } }, { regexp: { source: '/', target: '-' } }] }] },
    'template-regex': {
      secretStoreRef: store,
      data: [{ secretKey: 'k', remoteRef: { key: `${base}/${run}`, property: run } }],
      target: { template: { data: { m: '{{ regexMatch "^(a+)+$" .k }}', r: '{{ regexReplaceAll "(a|aa)+$" .k "x" }}' } } },
    },
    'webhook-jsonpath': { secretStoreRef: vaultRef('redos-jsonpath'), data: [{ secretKey: 'k', remoteRef: { key: 'names' } }] },
    'cpu-rsa': { secretStoreRef: store, data: [{ secretKey: 'k', remoteRef: { key: `${base}/${run}`, property: run } }], target: { template: { data: { k: '{{ range until 100000 }}{{ genPrivateKey "rsa" }}{{ end }}' } } } },
    'cpu-bcrypt': { secretStoreRef: store, data: [{ secretKey: 'k', remoteRef: { key: `${base}/${run}`, property: run } }], target: { template: { data: { k: '{{ range until 100000 }}{{ bcrypt $.k }}{{ end }}' } } } },
    'cpu-memory': { secretStoreRef: store, data: [{ secretKey: 'k', remoteRef: { key: `${base}/${run}`, property: run } }], target: { template: { data: { k: '{{ $l := list }}{{ range until 100000 }}{{ $l = append $l (repeat 100000 "a") }}{{ end }}{{ len $l }}' } } } },
  };
  for (const [name, spec] of Object.entries(attacks)) await tenantEs(name, { refreshInterval: '1s', ...spec });
  // The platform's ExternalSecret in the long-named namespace goes through namespaceRegexes.
  await h.kube.create(ExternalSecrets, {
    apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'ns-regex', namespace: longNs },
    spec: { refreshInterval: '1s', secretStoreRef: { name: css, kind: 'ClusterSecretStore' }, data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] },
  } as never);

  // Every attack ran to a verdict (the positive sentinel that the attack happened) ...
  const verdicts: Record<string, string> = {};
  for (const name of Object.keys(attacks)) {
    const r = await settled(tenant.namespace, name);
    verdicts[name] = `${r.status}: ${r.message ?? ''}`;
  }
  const nsRegex = await settled(longNs, 'ns-regex');
  // ... while they keep running (refreshInterval 1s, retries), the other namespace is served.
  const during: number[] = [];
  for (let i = 0; i < 3; i++) during.push(await probe.propagate());
  const report = lag.stop();

  t.diagnostic(`healthy propagation ms: baseline ${baseline.map(Math.round).join(', ')}; under attack ${during.map(Math.round).join(', ')}`);
  t.diagnostic(`event-loop delay while attacked: p50 ${report.p50Ms} ms, p99 ${report.p99Ms} ms, max ${report.maxMs} ms`);
  for (const [n, v] of Object.entries(verdicts)) t.diagnostic(`${n}: ${v.slice(0, 200)}`);

  assert.equal(readyOf(await getEs(h.kube, tenant.namespace, 'template-regex'))?.status, 'True', 'the regexp template rendered');
  assert.equal(verdicts['find-name']!.startsWith('True'), true, verdicts['find-name']);
  assert.equal(verdicts.rewrite!.startsWith('True'), true, verdicts.rewrite);
  assert.ok(names.requests.length > 0, 'the jsonPath store was read');
  assert.equal(nsRegex.status, 'False', 'the namespace regexp does not admit a name with a "-" in it');
  // Stopped by the step budget or, on a loaded machine where key generation is slower, by the wall-clock limit first.
  assert.match(verdicts['cpu-rsa']!, /^False: .*(evaluation steps|took longer than \d+ ms and was stopped)/, 'the RSA loop is stopped by its budget');
  assert.match(verdicts['cpu-bcrypt']!, /^False: .*(evaluation steps|time limit|limit)/, 'the bcrypt loop is stopped by its budget');
  assert.match(verdicts['cpu-memory']!, /^False: .*(limit|memory)/, 'the memory hog is stopped');
  // Under attack the healthy ExternalSecret keeps its pace: its usual time is about its 1 s
  // refresh; a frozen event loop (the old backtracking engine, in-thread templates) took minutes.
  assert.ok(median(during) < median(baseline) + 10_000, `propagation under attack ${median(during)} ms against ${median(baseline)} ms before`);
});

test('ambient credentials: no controller token, no node or cloud identity, no foreign-audience token reaches a server the tenant names', async () => {
  const capture = allowedCapture;
  const stores: Record<string, Record<string, unknown>> = {
    // Vault kubernetes auth with neither serviceAccountRef nor secretRef: ESO sends the mounted token.
    'vault-mounted': { vault: { server: capture.url, path: 'secret', version: 'v2', auth: { kubernetes: { mountPath: 'kubernetes', role: 'r' } } } },
    // The node's managed identity, to a Key Vault URL the tenant chose.
    'azure-mi': { azurekv: { vaultUrl: `https://127.0.0.1:${capture.port}`, authType: 'ManagedIdentity' } },
    'azure-wi': { azurekv: { vaultUrl: `https://127.0.0.1:${capture.port}`, authType: 'WorkloadIdentity' } },
    // No auth block: the controller's AWS and GCP default chains.
    'aws-default': { aws: { service: 'SecretsManager', region: 'us-east-1' } },
    'gcp-default': { gcpsm: { projectID: 'tenant-project' } },
    // A token for a ServiceAccount of the namespace, with an audience of another system.
    'kube-audience': { kubernetes: { server: { url: `https://127.0.0.1:${capture.port}` }, remoteNamespace: 'default', auth: { serviceAccount: { name: 'default', audiences: ['sts.amazonaws.com'] } } } },
    'vault-audience': { vault: { server: capture.url, path: 'secret', version: 'v2', auth: { kubernetes: { mountPath: 'kubernetes', role: 'r', serviceAccountRef: { name: 'default', audiences: ['api://AzureADTokenExchange'] } } } } },
  };
  for (const [name, provider] of Object.entries(stores)) await tenantStore(name, provider);
  const messages: Record<string, string> = {};
  for (const name of Object.keys(stores)) messages[name] = await refused(SecretStores, name);
  for (const [name, m] of Object.entries(messages)) {
    assert.match(m, /--ambient-credentials-namespaces|--allowed-token-audiences/, `${name}: the message names the flag: ${m}`);
  }
  assert.match(messages['vault-mounted']!, /serviceAccountRef/);
  assert.match(messages['kube-audience']!, /sts\.amazonaws\.com/);
  // An ExternalSecret on a refused store fails too, and says why.
  await tenantEs('on-refused', { secretStoreRef: vaultRef('vault-mounted'), data: [{ secretKey: 'k', remoteRef: { key: 'k' } }] });
  await refused(ExternalSecrets, 'on-refused');
  assert.equal(capture.connections(), 0, `the capture server saw ${capture.connections()} connections: ${JSON.stringify(capture.requests.map((r) => r.url))}`);
  assert.ok(!ctl.logs.join('\n').includes(controllerToken), 'the controller token in a log line');
  // The control: the same Vault auth in a ClusterSecretStore (the platform's) does send the
  // mounted token there, so the capture server could have seen the tenant's attempts.
  const css = uniqueName('ambient-control');
  await h.kube.create(ClusterSecretStores, { apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name: css }, spec: { provider: stores['vault-mounted'] } } as never);
  trackClusterObject(h.kube, ClusterSecretStores, css);
  await waitFor(() => capture.requests.some((r) => r.body.includes(controllerToken)), { timeoutMs: 30_000, message: 'the ClusterSecretStore sent the mounted token to the capture server' });
});

test('egress: a webhook to the metadata service, loopback, the API server, or a name resolving to loopback is refused, and nothing arrives', async () => {
  const capture = await captureServer();
  const apiserver = new URL(h.kube.server);
  const targets: Record<string, { url: string; headers?: Record<string, string> }> = {
    metadata: { url: 'http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token', headers: { 'Metadata-Flavor': 'Google' } },
    'metadata-aws': { url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' },
    loopback: { url: `http://127.0.0.1:${capture.port}/{{ .remoteRef.key }}` },
    apiserver: { url: `https://127.0.0.1:${apiserver.port}/api/v1/secrets` },
    'name-to-loopback': { url: `http://localhost:${capture.port}/{{ .remoteRef.key }}` },
  };
  for (const [name, t] of Object.entries(targets)) {
    await asTenant(strictTenant, SecretStores, {
      apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name, namespace: strictTenant.namespace },
      spec: { controller: 'strict', provider: { webhook: { url: t.url, ...(t.headers ? { headers: t.headers } : {}), result: { jsonPath: '$' } } } },
    });
    await asTenant(strictTenant, ExternalSecrets, {
      apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name, namespace: strictTenant.namespace },
      spec: { refreshInterval: '1h', secretStoreRef: { name, kind: 'SecretStore' }, data: [{ secretKey: 'k', remoteRef: { key: 'probe' } }] },
    });
  }
  // The store's check and the ExternalSecret's read each meet the policy; whichever runs first,
  // both end with a refusal (the ExternalSecret may first report the store as not validated yet).
  const refusal = (rt: typeof SecretStores, name: string) =>
    waitFor(
      async () => {
        const m = readyOf(await h.kube.get<EsView & { metadata: { name: string } }>(rt, name, strictTenant.namespace));
        return m?.status === 'False' && /egress/i.test(m.message ?? '') ? m.message! : undefined;
      },
      { timeoutMs: 30_000, message: `${rt.kind} ${name} refused by the egress policy` },
    );
  for (const name of Object.keys(targets)) {
    for (const m of [await refusal(SecretStores, name), await refusal(ExternalSecrets, name)]) {
      assert.doesNotMatch(m, /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|socket hang up/, `${name}: a raw socket error reached status: ${m}`);
    }
  }
  assert.equal(capture.connections(), 0, 'a refused webhook reached the capture server');
  // The control: the same loopback store on the controller that allows loopback does arrive.
  await tenantStore('egress-control', { webhook: { url: `http://127.0.0.1:${capture.port}/{{ .remoteRef.key }}`, result: { jsonPath: '$' } } });
  await tenantEs('egress-control', { secretStoreRef: vaultRef('egress-control'), data: [{ secretKey: 'k', remoteRef: { key: 'control' } }] });
  await waitFor(() => capture.requests.some((r) => r.url === '/control'), { timeoutMs: 30_000, message: 'the allowed store reached the capture server' });
});

test('a 1 GiB answer is cut at the cap, and the RSS stays flat', async (t) => {
  const GiB = 1 << 30;
  let written = 0;
  let closed = false;
  const chunk = Buffer.alloc(1 << 16, 'a');
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"v":"');
    const pump = () => {
      while (written < GiB && !closed) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!closed) res.end('"}');
    };
    res.on('close', () => void (closed = true));
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  created.add('1 GiB server', () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const port = (server.address() as AddressInfo).port;
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  await tenantStore('huge', { webhook: { url: `http://127.0.0.1:${port}/`, result: { jsonPath: '$.v' } } });
  await tenantEs('huge', { secretStoreRef: vaultRef('huge'), data: [{ secretKey: 'k', remoteRef: { key: 'x' } }] });
  const es = await waitReady(h.kube, ExternalSecrets, tenant.namespace, 'huge', 'False', 60_000);
  const m = readyOf(es)?.message ?? '';
  await waitFor(() => closed, { timeoutMs: 30_000, message: 'the client hung up on the 1 GiB answer' });
  const rssGrowth = process.memoryUsage().rss - rssBefore;
  t.diagnostic(`1 GiB answer: the server wrote ${(written / 2 ** 20).toFixed(1)} MiB before the client hung up; RSS grew ${(rssGrowth / 2 ** 20).toFixed(1)} MiB; status: ${m}`);
  assert.match(m, /limit|too large|exceeds/i, m);
  assert.ok(written < 64 * 2 ** 20, `the server wrote ${written} bytes before the cut`);
  assert.ok(rssGrowth < 128 * 2 ** 20, `RSS grew ${rssGrowth} bytes`);
});

test('a canary goes through transformed template errors, fail, assembly errors and key names, and is in no log, event, status or metric', async () => {
  const value = `CANARY-${randomBytes(8).toString('hex')}`;
  const keyName = `KEYCANARY${randomBytes(6).toString('hex')}`;
  const base = `hostile/${uniqueName('canary')}`;
  await putVaultKv2(h.env, `${base}/plain`, { password: value });
  await putVaultKv2(h.env, `${base}/keyed`, { [keyName]: 'not-secret' });
  await tenantVaultStore('canary');
  const store = vaultRef('canary');
  const pw = [{ secretKey: 'password', remoteRef: { key: `${base}/plain`, property: 'password' } }];
  const failing: Record<string, Record<string, unknown>> = {
    transformed: { data: pw, target: { template: { data: { out: '{{ .password | toString | upper | mustToDate "2006" }}' } } } },
    'transformed-b64': { data: pw, target: { template: { data: { out: '{{ .password | upper | b64enc | mustToDate "2006" }}' } } } },
    fail: { data: pw, target: { template: { data: { out: '{{ fail (printf "x%sx" (.password | upper)) }}' } } } },
    'assembly-decode': { data: [{ secretKey: 'password', remoteRef: { key: `${base}/plain`, property: 'password', decodingStrategy: 'Base64' } }] },
    'assembly-json': { data: [{ secretKey: 'x', remoteRef: { key: `${base}/plain`, property: 'password.x' } }] },
  };
  for (const [name, spec] of Object.entries(failing)) await tenantEs(name, { secretStoreRef: store, ...spec });
  await tenantEs('keyed', { secretStoreRef: store, dataFrom: [{ extract: { key: `${base}/keyed` } }] });
  await waitReady(h.kube, ExternalSecrets, tenant.namespace, 'keyed');
  for (const name of Object.keys(failing)) await waitReady(h.kube, ExternalSecrets, tenant.namespace, name, 'False');
  const events = await waitFor(
    async () => {
      const items = (await h.kube.list<{ metadata: { name: string }; involvedObject?: { name?: string }; reason?: string }>(Events, { namespace: tenant.namespace })).items;
      return Object.keys(failing).every((n) => items.some((e) => e.involvedObject?.name === n && e.reason === 'UpdateFailed')) ? items : undefined;
    },
    { timeoutMs: 20_000, message: 'an UpdateFailed event for every failing ExternalSecret' },
  );
  await waitFor(() => Object.keys(failing).every((n) => ctl.logs.some((l) => l.includes('"reconcile failed"') && l.includes(`"name":"${n}"`) && l.includes(`"namespace":"${tenant.namespace}"`))), { message: 'a failure log line for each' });

  type WithStatus = { metadata: { name: string }; status?: { conditions?: { type: string; status: string; message?: string }[] } };
  const lists = await Promise.all([ExternalSecrets, SecretStores].map((rt) => h.kube.list<WithStatus>(rt, { namespace: tenant.namespace })));
  const statuses = JSON.stringify(lists);
  const sinks = { logs: [...ctl.logs, ...strict.logs].join('\n'), events: JSON.stringify(events), statuses, metrics: ctl.metrics.registry.render() };
  const forms = [value, value.toUpperCase(), value.toLowerCase()].flatMap((v) => [v, Buffer.from(v).toString('base64'), Buffer.from(v).toString('hex'), v.slice(7)]);
  for (const [sink, text] of Object.entries(sinks)) {
    for (const form of forms) assert.ok(!text.includes(form), `a form of the canary (${form.slice(0, 10)}...) in ${sink}`);
  }
  // What the reader is told instead: the template, the function, and that details were withheld.
  const msg = (n: string) => readyOf(lists[0]!.items.find((o) => o.metadata.name === n))?.message ?? '';
  assert.match(msg('transformed'), /mustToDate.*withheld/);
  assert.match(msg('fail'), /fail.*withheld/);
  // The key name is an identifier: in the Secret, never in metrics.
  assert.ok(!sinks.metrics.includes(keyName), 'a key name in metrics');
});
