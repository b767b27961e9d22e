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
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClusterSecretStores, ExternalSecrets, Secrets, SecretStores, cleanupCreated, created, createNamespace, getEs, harness, putVaultKv2, readyOf, startController, trackClusterObject, uniqueName, waitReady, type Harness, type RunningController } from '../support/harness.ts';
import { asTenant, captureServer, createTenant, healthyProbe, lagMonitor, type CaptureServer, type HealthyProbe, type Tenant } from '../support/hostile.ts';
import { Events } from '../../src/kube/resources.ts';
import { waitFor } from '../support/index.ts';

let h: Harness;
let ctl: RunningController;
let tenant: Tenant;
let probe: HealthyProbe;
/** Stores of the tenant that the tests point here on purpose; the one loopback port the egress policy allows. */
let allowedCapture: CaptureServer;

before(async () => {
  h = await harness();
  allowedCapture = await captureServer();
  ctl = await startController(h, hostilePolicies());
  tenant = await createTenant(h);
  probe = await healthyProbe(h);
});
after(async () => {
  try {
    await cleanupCreated();
  } finally {
    await ctl?.stop();
  }
});

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
