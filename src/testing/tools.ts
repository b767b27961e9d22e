/**
 * One rule for tests that need an external tool (go, sops, age, bao, moto,
 * the kube binaries...): outside CI a missing tool skips the suite with a
 * reason; under CI=true it fails the run, because a CI that silently skips
 * whole suites reports green for code it never ran.
 */
import { spawnSync } from 'node:child_process';

export class MissingToolError extends Error {
  readonly code = 'HUSH_TEST_TOOL_MISSING';
  readonly tool: string;
  constructor(tool: string, installHint: string, cause?: unknown) {
    super(`${tool} is required under CI=true but was not found (to install: ${installHint})`, { cause });
    this.name = 'MissingToolError';
    this.tool = tool;
  }
}

export function inCi(): boolean {
  return process.env.CI === 'true';
}

/** Whether `command` runs at all (found on PATH and executable). */
export function onPath(command: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return r.error === undefined;
}

/**
 * `false` when the tool is there, otherwise a skip reason for node:test's
 * `{ skip }`; under CI=true a missing tool throws MissingToolError instead.
 * `present` defaults to looking `tool` up on PATH.
 */
export function requireTool(tool: string, installHint: string, present?: boolean | (() => boolean)): string | false {
  const ok = typeof present === 'function' ? present() : (present ?? onPath(tool));
  if (ok) return false;
  if (inCi()) throw new MissingToolError(tool, installHint);
  return `${tool} not found (to install: ${installHint}); skipped outside CI`;
}

/** The same rule for a tool found some other way: throws under CI, else returns the skip reason. */
export function missingTool(tool: string, installHint: string, cause?: unknown): string {
  if (inCi()) throw new MissingToolError(tool, installHint, cause);
  return `${tool} not available (${installHint}); skipped outside CI`;
}
