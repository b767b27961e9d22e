/**
 * Servers a test starts as its own children (moto, an OpenBao with TLS listeners) rather than as
 * detached dev-env components: they must die with the test process, not outlive it.
 */
import type { ChildProcess } from 'node:child_process';

/**
 * The child is killed if this process exits without stopping it (a crashed test leaves nothing
 * behind), and stop() ends it with SIGTERM, then SIGKILL after `graceMs`, and waits for it.
 */
export function superviseChild(child: ChildProcess, graceMs = 3000): { stop(): Promise<void> } {
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  return {
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}
