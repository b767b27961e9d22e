/**
 * Long-running child processes that must outlive the command that started them
 * (`hush dev up` returns while the cluster keeps running). Each one is started
 * detached, in its own session and so its own process group, with its output
 * appended to a log file; it is later found again by pid alone.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnavailableError } from '../util/errors.ts';

export interface StartedProcess {
  pid: number;
  /** The executable; used to recognise the process again (pids get reused). */
  bin: string;
  startedAt: string;
}

export interface StartOptions {
  bin: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function startDetached(options: StartOptions): StartedProcess {
  const fd = openSync(options.logFile, 'a');
  try {
    const startedAt = new Date().toISOString();
    writeSync(fd, `\n--- ${startedAt} starting ${options.bin} ${options.args.join(' ')}\n`);
    const child = spawn(options.bin, options.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    if (child.pid === undefined) {
      // spawn reports ENOENT/EACCES asynchronously; the pid is missing in that case.
      throw new UnavailableError(`could not start ${options.bin}`);
    }
    child.on('error', () => {}); // the health wait reports a process that is gone
    child.unref();
    return { pid: child.pid, bin: options.bin, startedAt };
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether the process is running (not a zombie) and is still the program we
 * started, not an unrelated one that got the same pid after a reboot.
 */
export function isRunning(proc: Pick<StartedProcess, 'pid' | 'bin'>): boolean {
  let stat: string;
  let cmdline: string;
  try {
    stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
    cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8');
  } catch {
    return false;
  }
  // Field 3 of /proc/pid/stat, after the parenthesised command name.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (state === 'Z' || state === 'X') return false;
  // bao is started through a Python launcher that execs the real binary
  // (keeping the pid): before the exec the program is the interpreter with the
  // launcher as its first argument, after it a binary of the same name.
  const name = baseName(proc.bin);
  return cmdline
    .split('\0')
    .slice(0, 2)
    .some((arg) => arg === proc.bin || baseName(arg) === name);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Stops a process started by startDetached and everything in its process
 * group: SIGTERM, then SIGKILL once the grace period is over. Resolves when
 * the process is gone.
 */
export async function stopProcess(proc: Pick<StartedProcess, 'pid' | 'bin'>, graceMs = 10_000): Promise<void> {
  // A dead leader's pid may since belong to someone else: signal nothing then.
  if (!isRunning(proc)) return;
  signalGroup(proc.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(proc)) break;
    await sleep(50);
  }
  // Also reaches any helper the program forked into its group.
  signalGroup(proc.pid, 'SIGKILL');
  const hardDeadline = Date.now() + 5_000;
  while ((isRunning(proc) || otherThreads(proc.pid) || holdsFiles(proc.pid)) && Date.now() < hardDeadline) await sleep(20);
}

/**
 * Whether the (possibly zombie) process still has its file table. The last thread can leave the
 * task list a moment before its files, sockets included, are closed; a zombie has none left.
 */
function holdsFiles(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).length > 0;
  } catch {
    return false;
  }
}

/**
 * Whether threads other than the leader still exist. In a multi-threaded program (etcd and
 * kube-apiserver are Go) the leader can turn zombie first; the files and listening sockets the
 * threads share are released only when the last one exits, so until then a restart on the same
 * port would find it taken.
 */
function otherThreads(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}

/** The last lines of a log file, for error messages that point at it. */
export function tailFile(file: string, lines = 8): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
