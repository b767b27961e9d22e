/**
 * Global setup for `node --test --test-global-setup=test/e2e/global-setup.ts`:
 * one dev environment (etcd, kube-apiserver, kube-controller-manager, OpenBao)
 * for the whole run, in its own temporary state dir, never the developer's
 * `hush dev` env. Node runs this in the runner process and gives every test
 * file's process a copy of its process.env, so the variables set here reach
 * the tests (test/support/env.ts reads them).
 *
 * HUSH_TEST_STATE_DIR may be set by the caller (scripts/run-tests.sh does, so
 * its trap can clean up after a crash). HUSH_KEEP_TEST_STATE=1 keeps the state
 * dir (logs!) after teardown; the processes are stopped either way.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultStateDir, down, up } from '../../src/devenv/index.ts';

function log(line: string): void {
  process.stderr.write(`[e2e env] ${line}\n`);
}

function testStateDir(): string {
  const given = process.env.HUSH_TEST_STATE_DIR;
  const dir = given ? resolve(given) : mkdtempSync(join(tmpdir(), 'hush-test-'));
  if (dir === resolve(defaultStateDir())) {
    throw new Error(`HUSH_TEST_STATE_DIR points at the developer's dev env (${dir}); tests need their own`);
  }
  return dir;
}

export async function globalSetup(): Promise<void> {
  const stateDir = testStateDir();
  process.env.HUSH_TEST_STATE_DIR = stateDir;
  const t0 = Date.now();
  let env;
  try {
    env = await up({ stateDir, progress: (line) => log(line) });
  } catch (err) {
    // The runner may not call globalTeardown when setup fails.
    log(`start-up failed; logs are in ${join(stateDir, 'logs')}`);
    await down({ stateDir });
    throw err;
  }
  // The CRDs go in first thing: kube-controller-manager's garbage collector
  // discovers new resource types only every 30 s, and the Owner tests need it to
  // know ExternalSecrets by the time they run.
  const { KubeClient } = await import('../../src/kube/client.ts');
  const { CustomResourceDefinitions } = await import('../../src/kube/resources.ts');
  const { allCrds } = await import('../../src/api/index.ts');
  const kube = KubeClient.fromKubeconfig(env.kubeconfig);
  for (const crd of allCrds()) await kube.apply(CustomResourceDefinitions, crd, { fieldManager: 'hush-e2e', force: true });
  kube.close();
  process.env.KUBECONFIG = env.kubeconfig;
  process.env.VAULT_ADDR = env.vaultAddr;
  process.env.VAULT_TOKEN = env.vaultToken;
  log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s (state dir ${stateDir})`);
}

export async function globalTeardown(): Promise<void> {
  const stateDir = process.env.HUSH_TEST_STATE_DIR;
  if (!stateDir) return;
  const keep = process.env.HUSH_KEEP_TEST_STATE === '1';
  await down({ stateDir, purge: !keep });
  if (keep) log(`stopped; state and logs kept in ${stateDir}`);
}
