/**
 * What a store says about its budget: a `ReadBudget` condition on the store, and
 * an event when it turns, with the numbers — the calls per second the scheduled
 * refreshes need, what the budget allows, and the staleness that follows.
 *
 * The scheduler never exceeds the budget (read/reader.ts paces its reads); when
 * the budget is too small, every refresh comes late by the same factor, and this
 * is where a person learns it. Numbers are rounded to two significant digits, so
 * that the status is written when the picture changes, not on every new reader.
 */
import type { Condition } from '../controllers/externalsecret/spec.ts';
import { formatGoDuration } from '../util/duration.ts';
import { BUDGET_ANNOTATIONS } from './budget.ts';
import type { FeedState } from './reader.ts';

export const READ_BUDGET_CONDITION = 'ReadBudget';

export interface BudgetDemand {
  neededCallsPerSecond: number;
  allowedCallsPerSecond: number;
  shortestIntervalMs: number | undefined;
  /** How the store's readers learn of changes (the ChangeDetection condition). */
  feed?: FeedState | undefined;
}

/** The ReadBudget condition for a store's demand, or undefined when nothing is scheduled on it. */
export function readBudgetCondition(d: BudgetDemand | undefined, prev: Condition | undefined, now: Date): Condition | undefined {
  if (!d || d.neededCallsPerSecond <= 0) return undefined;
  // A demand that exactly fills the budget (1,000 keys every 500 s at 2/s) fits: sums of
  // floating-point shares must not tip it over.
  const over = d.neededCallsPerSecond > d.allowedCallsPerSecond * (1 + 1e-9);
  const status = over ? 'False' : 'True';
  const allowed = round2(d.allowedCallsPerSecond);
  let message: string;
  if (over) {
    const factor = d.neededCallsPerSecond / d.allowedCallsPerSecond;
    const stretched = d.shortestIntervalMs !== undefined ? ` (a refreshInterval of ${formatGoDuration(d.shortestIntervalMs)} is kept as about ${formatGoDuration(roundMs(d.shortestIntervalMs * factor))})` : '';
    message =
      `scheduled refreshes need ${round2(d.neededCallsPerSecond)} calls/s but the budget allows ${allowed} calls/s: ` +
      `answers are read about ${round2(factor)}x less often than asked${stretched}; ` +
      `raise the store annotation ${BUDGET_ANNOTATIONS.callsPerSecond} or lengthen refreshInterval`;
  } else {
    message = `scheduled refreshes fit the budget of ${allowed} calls/s`;
  }
  return {
    type: READ_BUDGET_CONDITION,
    status,
    reason: over ? 'BudgetExceeded' : 'WithinBudget',
    message,
    lastTransitionTime: prev && prev.status === status ? (prev.lastTransitionTime ?? now.toISOString()) : now.toISOString(),
  };
}

function round2(n: number): string {
  if (n === 0) return '0';
  const digits = Math.max(0, 1 - Math.floor(Math.log10(Math.abs(n))));
  return String(Number(n.toFixed(digits)));
}

function roundMs(ms: number): number {
  // Whole seconds above a minute, tenths below: the message stays stable as readers come and go.
  return ms >= 60_000 ? Math.round(ms / 1000) * 1000 : Math.round(ms / 100) * 100;
}

export const CHANGE_DETECTION_CONDITION = 'ChangeDetection';

/**
 * The ChangeDetection condition: how the store's refreshes learn of changes, and whether that
 * works now. A failing feed is not an error of the store's ExternalSecrets (their refreshes read
 * values instead, within the budget), but a person should know: it costs calls and, for a push
 * feed, time. Undefined when nothing is scheduled on the store.
 */
export function changeDetectionCondition(feed: FeedState | undefined, scheduled: boolean, prev: Condition | undefined, now: Date): Condition | undefined {
  if (!feed || !scheduled) return undefined;
  let status: 'True' | 'False' = 'True';
  let reason: string;
  let message: string;
  if (feed.failing) {
    status = 'False';
    reason = 'ChangeFeedFailing';
    message = `the store's change feed (${feed.mode}) has failed since ${new Date(feed.failing.since).toISOString()}: ${feed.failing.message}; refreshes read values within the budget meanwhile`;
  } else if (feed.mode === 'values') {
    reason = 'ValueReads';
    message = 'refreshes read each value: this store has no cheaper change signal';
  } else if (feed.mode === 'poll') {
    reason = 'Polling';
    message = 'refreshes ask the store which values changed, without reading them, and read only those';
  } else {
    reason = 'Watching';
    message = feed.mode === 'push' ? 'the store tells of changes as they happen; refreshes also read values on their timers' : 'the store tells of changes as they happen; refreshes also poll on their timers';
  }
  return { type: CHANGE_DETECTION_CONDITION, status, reason, message, lastTransitionTime: prev && prev.status === status ? (prev.lastTransitionTime ?? now.toISOString()) : now.toISOString() };
}
