/** What a benchmark reports besides its own numbers: the machine, the code measured, summaries. */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, freemem, loadavg, totalmem } from 'node:os';

export interface MachineFacts {
  nproc: number;
  cpuModel: string;
  memoryTotalMB: number;
  memoryFreeMB: number;
  /** 1, 5 and 15 minute load averages: other work on the machine makes numbers noisy. */
  loadAverage: number[];
  node: string;
  platform: string;
}

export function machineFacts(): MachineFacts {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryTotalMB: Math.round(totalmem() / 1e6),
    memoryFreeMB: Math.round(freemem() / 1e6),
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export interface CheckoutFacts {
  root: string;
  commit: string;
  subject: string;
  /** Tracked files changed since the commit: the numbers are then of uncommitted code. */
  dirty: boolean;
}

export function checkoutFacts(root: string): CheckoutFacts {
  const git = (...args: string[]): string => {
    try {
      return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  return {
    root,
    commit: git('rev-parse', 'HEAD') || 'unknown (not a git checkout)',
    subject: git('log', '-1', '--format=%s'),
    dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
  };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function seconds(ms: number): string {
  return Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '–';
}

/** A Markdown table; cells are already formatted. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** "1h 02m 03s" style, for how long a run took. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = h > 0 ? [`${h}h`, `${String(m).padStart(2, '0')}m`] : m > 0 ? [`${m}m`] : [];
  return [...parts, `${String(s % 60).padStart(parts.length ? 2 : 1, '0')}s`].join(' ');
}
