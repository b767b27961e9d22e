/**
 * The dev environment that test/e2e/global-setup.ts started for this test run.
 * Node's runner copies the global setup's process.env into each test file's
 * process, so the state dir arrives as HUSH_TEST_STATE_DIR.
 */
import { loadEnv, type DevEnv } from '../../src/devenv/index.ts';

export async function loadTestEnv(): Promise<DevEnv> {
  const stateDir = process.env.HUSH_TEST_STATE_DIR;
  if (!stateDir) {
    throw new Error(
      'HUSH_TEST_STATE_DIR is not set: run end-to-end tests with ' +
        '`node --test --test-global-setup=test/e2e/global-setup.ts ...` (npm test does), ' +
        'or point HUSH_TEST_STATE_DIR at a running `hush dev up --state-dir` env',
    );
  }
  return loadEnv(stateDir);
}
