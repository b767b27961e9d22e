/**
 * A `hush controller` process of some checkout, driven only through its public
 * surface (flags, signals, /readyz, /metrics), so that the same benchmark can
 * measure an old checkout and a new one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { DEV_EGRESS_ALLOW } from '../../src/net/egress.ts';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/devenv/ports.ts';
import { HushError, UnavailableError } from '../../src/util/errors.ts';
import { onCleanup } from './cleanup.ts';

export interface HushProcessOptions {
  /** The checkout whose bin/hush.js runs. */
  hushRoot: string;
  kubeconfig: string;
  /** Extra `hush controller` flags. */
  args: string[];
  /** stdout and stderr are appended here. */
  logFile: string;
  /** A short name for messages ("replica-2"). */
  name: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class HushProcess {
  readonly name: string;
  readonly logFile: string;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private exit: Exit | undefined;

  private constructor(options: HushProcessOptions, healthPort: number, metricsPort: number) {
    this.name = options.name;
    this.logFile = options.logFile;
    this.healthPort = healthPort;
    this.metricsPort = metricsPort;
    const log = createWriteStream(options.logFile, { flags: 'a' });
    this.child = spawn(
      process.execPath,
      [
        join(options.hushRoot, 'bin', 'hush.js'),
        'controller',
        '--kubeconfig', options.kubeconfig,
        '--health-addr', `127.0.0.1:${healthPort}`,
        '--metrics-addr', `127.0.0.1:${metricsPort}`,
        ...options.args,
      ],
      // Its own process group: a Ctrl-C meant for the benchmark must not reach a replica
      // before the benchmark decides how to stop it.
      // HUSH_EGRESS_ALLOW as `hush dev env` exports it: the bench's stores listen on loopback.
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.hushRoot, detached: true, env: { ...process.env, HUSH_EGRESS_ALLOW: DEV_EGRESS_ALLOW } },
    );
    this.child.stdout!.pipe(log, { end: false });
    this.child.stderr!.pipe(log, { end: false });
    const forget = onCleanup(`stop ${this.name}`, () => this.stop());
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        forget();
        log.end();
        resolve(this.exit);
      });
    });
    // A crash of the benchmark itself must not leave a replica running (and leading).
    const killOnExit = (): void => void this.child.kill('SIGKILL');
    process.once('exit', killOnExit);
    void this.exited.then(() => process.removeListener('exit', killOnExit));
  }

  static async start(options: HushProcessOptions): Promise<HushProcess> {
    const healthPort = await freePort();
    let metricsPort = await freePort();
    while (metricsPort === healthPort) metricsPort = await freePort();
    return new HushProcess(options, healthPort, metricsPort);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  signal(signal: 'SIGKILL' | 'SIGTERM'): void {
    this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** True when /readyz answers 200. */
  async ready(): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.healthPort}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  async metrics(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    return res.text();
  }

  /** Resident set size now and its peak since start (VmRSS, VmHWM), in bytes. */
  memory(): { rss: number; peakRss: number } | undefined {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
      return { rss: kb('VmRSS'), peakRss: kb('VmHWM') };
    } catch {
      return undefined;
    }
  }

  /** An error if the process has exited, for `until`'s stopIf. */
  ifDied(when: string): HushError | undefined {
    return this.running ? undefined : this.died(when);
  }

  died(when: string): HushError {
    return new UnavailableError(`${this.name} exited ${when} (${JSON.stringify(this.exit)}); see ${this.logFile}`);
  }
}
