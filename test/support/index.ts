/** Helpers for end-to-end tests; see each module. */
export { loadTestEnv } from './env.ts';
export { waitFor, type WaitOptions } from './wait.ts';
export { kubectl, applyYaml, getJson, KubectlError, type KubectlOptions } from './kubectl.ts';
export {
  kubeCall,
  kubeExpect,
  requestServiceAccountToken,
  baoCall,
  baoExpect,
  configureOpenBao,
  stopComponent,
  startComponent,
  type DevEnv,
} from '../../src/devenv/index.ts';
export { requireTool, missingTool, MissingToolError } from '../../src/testing/tools.ts';
export { Cleanup, CleanupError } from './cleanup.ts';
