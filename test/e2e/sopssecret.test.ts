/**
 * SopsSecret end to end: the real controller against the test cluster, files
 * encrypted for age keys (generated here), for Vault transit on the dev
 * OpenBao, and by the real `sops` binary. A wrong key, a tampered file, a
 * manifest that is not a Secret of this namespace: Ready=False with the
 * cause, and the Secret left exactly as it was. Drift is repaired, the
 * Secret goes with its SopsSecret (the real garbage collector), and a canary
 * value never leaves the Secret.
 *
 * Run: node --test --test-global-setup=test/e2e/global-setup.ts test/e2e/sopssecret.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptFile } from '../../src/sops/codec.ts';
import { Events } from '../../src/kube/resources.ts';
import { SopsSecrets } from '../../src/controllers/sopssecret/resources.ts';
import { ageKeyPair, encryptForAge, type AgeKeyPair } from '../../src/controllers/sopssecret/testing/age.ts';
import { baoCall, baoExpect, requireTool, waitFor } from '../support/index.ts';
import { created, cleanupCreated, Secrets, createNamespace, getSecret, harness, secretStrings, startController, type Harness, type RunningController, type SecretView } from '../support/harness.ts';

let h: Harness;
let ctl: RunningController;
let age: AgeKeyPair;

before(async () => {
  h = await harness();
  age = await ageKeyPair();
  ctl = await startController(h);
});
after(async () => {
  try {
    await cleanupCreated();
  } finally {
    await ctl?.stop();
  }
});

interface SopsView {
  metadata: { name: string; namespace: string; uid: string; generation: number };
  status?: { observedGeneration?: number; secretName?: string; conditions?: { type: string; status: string; reason?: string; message?: string; observedGeneration?: number }[] };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const readyOf = (o: SopsView | undefined) => o?.status?.conditions?.find((c) => c.type === 'Ready');

function secretYaml(stringData: Record<string, string>, extra = ''): string {
  const lines = Object.entries(stringData).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`);
  return `apiVersion: v1\nkind: Secret\nmetadata:\n    name: app\n    labels:\n        team: a\n${extra}type: kubernetes.io/basic-auth\nstringData:\n${lines.join('\n')}\n`;
}

async function ageKeySecret(ns: string, identity = age.identity, name = 'sops-age'): Promise<void> {
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, data: { 'age.agekey': b64(`# test key\n${identity}\n`) } } as never);
}

async function sopsSecret(ns: string, name: string, encrypted: string, keySecret: string | undefined = 'sops-age'): Promise<void> {
  await h.kube.create(SopsSecrets, {
    apiVersion: 'secrets.hush.dev/v1alpha1', kind: 'SopsSecret', metadata: { name, namespace: ns },
    spec: { encrypted, ...(keySecret ? { decryption: { secretRef: { name: keySecret } } } : {}) },
  } as never);
}

async function setEncrypted(ns: string, name: string, encrypted: string): Promise<void> {
  await h.kube.patch(SopsSecrets, name, ns, { spec: { encrypted } }, 'merge');
}

/** Waits for Ready=`want` at the current generation. */
async function waitSops(ns: string, name: string, want: 'True' | 'False', timeoutMs = 20_000): Promise<SopsView> {
  return waitFor(async () => {
    const o = await h.kube.get<SopsView & { metadata: { name: string } }>(SopsSecrets, name, ns);
    const r = readyOf(o);
    return o && r?.status === want && r.observedGeneration === o.metadata.generation ? o : undefined;
  }, { timeoutMs, message: `SopsSecret ${ns}/${name} Ready=${want}` });
}

async function waitSecret(ns: string, name: string, check: (s: SecretView | undefined) => boolean, message: string, timeoutMs = 15_000): Promise<SecretView | undefined> {
  let last: SecretView | undefined;
  await waitFor(async () => check((last = await getSecret(h.kube, ns, name))), { timeoutMs, message });
  return last;
}

test('an age-encrypted Secret is decrypted into a Secret with its type, labels, an ownerReference, and status Ready', async () => {
  const ns = await createNamespace(h.kube, 'sops');
  await ageKeySecret(ns);
  await sopsSecret(ns, 'db', await encryptForAge(secretYaml({ username: 'admin', password: 's3cret' }), age.recipient));
  const sops = await waitSops(ns, 'db', 'True');
  assert.equal(readyOf(sops)?.reason, 'Decrypted');
  assert.equal(sops.status?.secretName, 'app');
  assert.equal(sops.status?.observedGeneration, 1);
  const s = await getSecret(h.kube, ns, 'app');
  assert.deepEqual(secretStrings(s), { username: 'admin', password: 's3cret' });
  assert.equal(s?.type, 'kubernetes.io/basic-auth');
  assert.equal(s?.metadata.labels?.team, 'a');
  assert.equal(s?.metadata.labels?.['secrets.hush.dev/managed'], 'true');
  assert.match(s?.metadata.annotations?.['secrets.hush.dev/data-hash'] ?? '', /^[0-9a-f]{56}$/);
  assert.deepEqual(s?.metadata.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]), [['SopsSecret', sops.metadata.uid, true]]);
  const events = JSON.stringify(await h.kube.list(Events, { namespace: ns }));
  assert.match(events, /Secret \\"app\\" created from the decrypted manifest/);
});

test('drift is repaired at once: an edited Secret is restored, a deleted one recreated; a renamed manifest moves the Secret', async () => {
  const ns = await createNamespace(h.kube, 'sops');
  await ageKeySecret(ns);
  await sopsSecret(ns, 'db', await encryptForAge(secretYaml({ password: 'right' }), age.recipient));
  await waitSops(ns, 'db', 'True');
  const s = await getSecret(h.kube, ns, 'app');
  await h.kube.patch(Secrets, 'app', ns, { data: { password: b64('edited'), extra: b64('x') } }, 'merge');
  await waitSecret(ns, 'app', (x) => JSON.stringify(secretStrings(x)) === JSON.stringify({ password: 'right' }), 'edited Secret restored', 5_000);
  await h.kube.delete(Secrets, 'app', ns);
  const again = await waitSecret(ns, 'app', (x) => x !== undefined && x.metadata.uid !== s?.metadata.uid, 'deleted Secret recreated', 5_000);
  assert.deepEqual(secretStrings(again), { password: 'right' });
  // One decryption per change: the first sync and the two repairs. The events our own writes cause are
  // checked against what was written last, without decrypting (no Vault call) again. Positive
  // sentinel instead of a pause: a SopsSecret created now is queued after those events (FIFO) and
  // needs a decryption, the slower path, so once it is Ready they have been handled.
  await sopsSecret(ns, 'sentinel', await encryptForAge(secretYaml({ password: 's' }).replace('name: app', 'name: app-sentinel'), age.recipient));
  await waitSops(ns, 'sentinel', 'True');
  assert.match(ctl.metrics.registry.render(), new RegExp(`hush_sopssecret_decryptions_total\\{name="db",namespace="${ns}",result="success"\\} 3\n`));

  await setEncrypted(ns, 'db', await encryptForAge(secretYaml({ password: 'right' }).replace('name: app', 'name: app-v2'), age.recipient));
  const renamed = await waitSops(ns, 'db', 'True');
  assert.equal(renamed.status?.secretName, 'app-v2');
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'app-v2')), { password: 'right' });
  await waitSecret(ns, 'app', (x) => x === undefined, 'Secret under the old name deleted', 5_000);
});

test('a wrong key, a tampered file, a non-Secret and a foreign namespace: Ready=False with the cause, the Secret untouched', async () => {
  const ns = await createNamespace(h.kube, 'sops');
  await ageKeySecret(ns);
  const good = await encryptForAge(secretYaml({ password: 'keep-me' }), age.recipient);
  await sopsSecret(ns, 'db', good);
  await waitSops(ns, 'db', 'True');
  const before = await getSecret(h.kube, ns, 'app');
  const other = await ageKeyPair();

  const cases: [string, string, RegExp][] = [
    ['wrong key', await encryptForAge(secretYaml({ password: 'new' }), other.recipient),
      /^SopsSecret ".*\/db": cannot decrypt spec\.encrypted \(yaml\): cannot get the data key.*Keys offered: 1 age identity from Secret ".*\/sops-age" entry "age\.agekey"\. Fix: put an age identity/],
    ['tampered value', good.replace(/password: ENC\[AES256_GCM,data:([A-Za-z0-9+/]{4})/, (_m, d: string) => `password: ENC[AES256_GCM,data:${d === 'AAAA' ? 'BBBB' : 'AAAA'}`),
      /cannot decrypt the value at stringData\.password: authentication failed/],
    ['tampered MAC order', good.replace('name: app', 'name: app2'), /MAC mismatch.*Fix: the file was changed after it was encrypted/],
    ['not a Secret', await encryptForAge('apiVersion: v1\nkind: ConfigMap\ndata:\n    a: b\n', age.recipient), /apiVersion "v1" kind "ConfigMap"; a SopsSecret holds only a v1 Secret/],
    ['foreign namespace', await encryptForAge(secretYaml({ password: 'x' }, '    namespace: kube-system\n'), age.recipient),
      /is for namespace "kube-system", but the SopsSecret is in/],
  ];
  const reasons: Record<string, string> = { 'wrong key': 'DecryptionFailed', 'tampered value': 'DecryptionFailed', 'tampered MAC order': 'DecryptionFailed', 'not a Secret': 'InvalidManifest', 'foreign namespace': 'InvalidManifest' };
  for (const [what, encrypted, message] of cases) {
    await setEncrypted(ns, 'db', encrypted);
    const failed = await waitSops(ns, 'db', 'False');
    const r = readyOf(failed);
    assert.equal(r?.reason, reasons[what], what);
    assert.match(r?.message ?? '', message, what);
    const now = await getSecret(h.kube, ns, 'app');
    assert.equal(now?.metadata.resourceVersion, before?.metadata.resourceVersion, `${what}: the Secret was written`);
  }
  const events = JSON.stringify(await h.kube.list(Events, { namespace: ns }));
  assert.match(events, /"reason":"DecryptionFailed"/);
  assert.match(events, /"reason":"InvalidManifest"/);
  // Fixed again: Ready, and the Secret follows.
  await setEncrypted(ns, 'db', await encryptForAge(secretYaml({ password: 'fixed' }), age.recipient));
  await waitSops(ns, 'db', 'True');
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'app')), { password: 'fixed' });
});

test('a missing key Secret is waited for; a Secret someone else made is never overwritten', async () => {
  const ns = await createNamespace(h.kube, 'sops');
  await sopsSecret(ns, 'db', await encryptForAge(secretYaml({ password: 'p' }), age.recipient));
  const waiting = await waitSops(ns, 'db', 'False');
  assert.match(readyOf(waiting)?.message ?? '', /the decryption key Secret ".*\/sops-age" \(spec\.decryption\.secretRef\) does not exist\. Fix: create it/);
  await ageKeySecret(ns);
  // Nothing watches the key Secret; the retry backoff (first retries within seconds) picks it up.
  await waitSops(ns, 'db', 'True', 30_000);

  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'theirs', namespace: ns }, stringData: { password: 'theirs' } } as never);
  const mine = await getSecret(h.kube, ns, 'theirs');
  await sopsSecret(ns, 'clash', await encryptForAge(secretYaml({ password: 'mine' }).replace('name: app', 'name: theirs'), age.recipient));
  const clash = await waitSops(ns, 'clash', 'False');
  assert.equal(readyOf(clash)?.reason, 'SecretConflict');
  assert.match(readyOf(clash)?.message ?? '', /Secret ".*\/theirs" already exists and was not created by this SopsSecret; it is left as it is/);
  assert.equal((await getSecret(h.kube, ns, 'theirs'))?.metadata.resourceVersion, mine?.metadata.resourceVersion);
});

test('Vault transit (OpenBao): the token comes from sops.vault-token; a wrong token fails and says so', async () => {
  const ns = await createNamespace(h.kube, 'sops');
  const mount = `transit-${randomBytes(3).toString('hex')}`;
  created.add(`vault mount ${mount}`, () => baoCall(h.env, 'DELETE', `/v1/sys/mounts/${mount}`));
  await baoExpect(h.env, 'POST', `/v1/sys/mounts/${mount}`, { type: 'transit' });
  await baoExpect(h.env, 'POST', `/v1/${mount}/keys/hush`, {});
  const vaultAddress = h.env.vaultAddr.replace(/\/+$/, '');
  const encrypted = (await encryptFile(Buffer.from(secretYaml({ password: 'from-transit' })), 'yaml', {
    keyGroups: [[{ type: 'hc_vault', vaultAddress, enginePath: mount, keyName: 'hush', createdAt: '', enc: '' }]],
    rule: { key: 'encrypted_regex', value: '^(data|stringData)$' },
  }, { env: {}, home: '', vaultToken: h.env.vaultToken })).toString();
  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vault', namespace: ns }, stringData: { 'sops.vault-token': h.env.vaultToken } } as never);
  await sopsSecret(ns, 'db', encrypted, 'vault');
  await waitSops(ns, 'db', 'True');
  assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'app')), { password: 'from-transit' });

  await h.kube.create(Secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bad-vault', namespace: ns }, stringData: { 'sops.vault-token': 'not-a-token' } } as never);
  await sopsSecret(ns, 'bad', encrypted.replace(/^ {4}name: app$/m, '    name: other'), 'bad-vault');
  // The file is now tampered too (name changed), but the data key cannot even be had: that is the error.
  const bad = await waitSops(ns, 'bad', 'False');
  assert.match(readyOf(bad)?.message ?? '', new RegExp(`Vault transit key .*${mount}.*Keys offered: a Vault token from Secret ".*/bad-vault" entry "sops\\.vault-token"`));
  assert.equal(await getSecret(h.kube, ns, 'other'), undefined);
  await baoCall(h.env, 'DELETE', `/v1/sys/mounts/${mount}`);
});

const goTools = join(process.env.HUSH_CACHE_DIR ?? join(homedir(), '.cache', 'hush'), 'bin', 'go-tools');
const sopsBin = join(goTools, 'sops');

test('a file encrypted by the real sops binary decrypts in the cluster', { skip: requireTool('sops', 'scripts/install-sops-tools.sh', existsSync(sopsBin)) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hush-sopssecret-'));
  try {
    writeFileSync(join(dir, 'secret.yaml'), secretYaml({ password: 'by-sops', port: '5432' }));
    const out = execFileSync(sopsBin, ['encrypt', '--age', age.recipient, '--encrypted-regex', '^(data|stringData)$', 'secret.yaml'], {
      cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000,
    }).toString();
    assert.match(out, /mac: ENC\[/);
    const ns = await createNamespace(h.kube, 'sops');
    await ageKeySecret(ns);
    await sopsSecret(ns, 'db', out);
    await waitSops(ns, 'db', 'True');
    assert.deepEqual(secretStrings(await getSecret(h.kube, ns, 'app')), { password: 'by-sops', port: '5432' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a canary value never reaches logs, events, status or metrics, on success and failure paths', async () => {
  const canary = `CANARY-${randomBytes(8).toString('hex')}`;
  const forms = [canary, b64(canary), Buffer.from(canary).toString('hex')];
  const ns = await createNamespace(h.kube, 'sops');
  await ageKeySecret(ns);
  const other = await ageKeyPair();
  const ok = await encryptForAge(secretYaml({ password: canary }), age.recipient);
  await sopsSecret(ns, 'ok', ok);
  await sopsSecret(ns, 'wrong-key', await encryptForAge(secretYaml({ password: canary }), other.recipient));
  await sopsSecret(ns, 'tampered', ok.replace('name: app', 'name: app3'));
  await sopsSecret(ns, 'bad-b64', await encryptForAge(`apiVersion: v1\nkind: Secret\nmetadata:\n    name: b\ndata:\n    password: "${canary}!"\n`, age.recipient));
  await sopsSecret(ns, 'bad-type', await encryptForAge(`apiVersion: v1\nkind: Secret\nmetadata:\n    name: c\nstringData:\n    password:\n        nested: "${canary}"\n`, age.recipient));
  await sopsSecret(ns, 'bad-kind', await encryptForAge(`apiVersion: v1\nkind: "${canary}"\n`, age.recipient));
  await waitSops(ns, 'ok', 'True');
  assert.equal(secretStrings(await getSecret(h.kube, ns, 'app')).password, canary);
  const failing = ['wrong-key', 'tampered', 'bad-b64', 'bad-type', 'bad-kind'];
  for (const n of failing) await waitSops(ns, n, 'False');
  // Positive sentinel: every failing object's Warning event is stored.
  await waitFor(
    async () => {
      const items = (await h.kube.list<{ metadata: { name: string }; type?: string; involvedObject?: { name?: string } }>(Events, { namespace: ns })).items;
      return failing.every((n) => items.some((e) => e.type === 'Warning' && e.involvedObject?.name === n));
    },
    { timeoutMs: 20_000, message: 'a Warning event for every failing SopsSecret' },
  );

  const statuses = JSON.stringify((await h.kube.list<SopsView & { metadata: { name: string } }>(SopsSecrets, { namespace: ns })).items.map((o) => o.status));
  const events = JSON.stringify(await h.kube.list(Events, { namespace: ns }));
  const logs = ctl.logs.join('');
  const metrics = ctl.metrics.registry.render();
  assert.match(metrics, /hush_sopssecret_decryptions_total\{[^}]*result="DecryptionFailed"/);
  assert.match(metrics, /hush_sopssecret_status_condition\{/);
  assert.ok(events.includes('InvalidManifest') && logs.includes('reconcile failed'), 'the failure paths ran');
  for (const form of forms) {
    assert.ok(!logs.includes(form), 'canary in logs');
    assert.ok(!events.includes(form), 'canary in events');
    assert.ok(!statuses.includes(form), 'canary in SopsSecret status');
    assert.ok(!metrics.includes(form), 'canary in metrics');
  }
});

test('the Secret is garbage-collected with its SopsSecret', async () => {
  const ns = await createNamespace(h.kube, 'sops');
  await ageKeySecret(ns);
  await sopsSecret(ns, 'db', await encryptForAge(secretYaml({ password: 'p' }), age.recipient));
  await waitSops(ns, 'db', 'True');
  await h.kube.delete(SopsSecrets, 'db', ns);
  // kube-controller-manager's garbage collector, not Hush, deletes it.
  await waitSecret(ns, 'app', (x) => x === undefined, 'Secret garbage-collected', 45_000);
});
