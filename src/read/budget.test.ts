import assert from 'node:assert/strict';
import { test } from 'node:test';
import { budgetFor, defaultBudget } from './budget.ts';
import { readBudgetCondition } from './budget-report.ts';

test('budgets: per-provider defaults, the AWS service decides, annotations change them, bad ones name the annotation and the fix', () => {
  assert.deepEqual(defaultBudget('aws', { service: 'ParameterStore' }), { callsPerSecond: 30, concurrency: 4, burst: 30, callTimeoutMs: 30_000 });
  assert.equal(defaultBudget('aws', { service: 'SecretsManager' }).callsPerSecond, 50);
  assert.equal(defaultBudget('unknown', {}).callsPerSecond, 20);
  assert.deepEqual(budgetFor('vault', {}, { 'hush.dev/calls-per-second': '0.5', 'hush.dev/max-concurrent-calls': '2', 'hush.dev/call-timeout': '1500ms' }), { callsPerSecond: 0.5, concurrency: 2, burst: 1, callTimeoutMs: 1500 });
  assert.equal(budgetFor('vault', {}, { 'hush.dev/calls-per-second': '5', 'hush.dev/call-burst': '20' }).burst, 20);
  assert.throws(() => budgetFor('vault', {}, { 'hush.dev/calls-per-second': '-1' }), { code: 'InvalidConfig', message: 'metadata.annotations["hush.dev/calls-per-second"]: "-1" is not valid; use a number of calls per second above 0, such as "2" or "0.5"' });
  assert.throws(() => budgetFor('vault', {}, { 'hush.dev/max-concurrent-calls': '0' }), /hush\.dev\/max-concurrent-calls"\]: "0" is not valid; use a whole number from 1 to 10000/);
  assert.throws(() => budgetFor('vault', {}, { 'hush.dev/call-timeout': '1h' }), /"1h" is out of range; use a duration from 100ms to 10m/);
  assert.throws(() => budgetFor('vault', {}, { 'hush.dev/call-timeout': 'soon' }), /hush\.dev\/call-timeout"\]: invalid duration "soon"/);
});

test('the ReadBudget condition: what is needed, what is allowed, and the staleness that follows', () => {
  const now = new Date('2026-12-02T00:00:00Z');
  const over = readBudgetCondition({ neededCallsPerSecond: 12.4, allowedCallsPerSecond: 2, shortestIntervalMs: 60_000 }, undefined, now);
  assert.deepEqual(over, {
    type: 'ReadBudget',
    status: 'False',
    reason: 'BudgetExceeded',
    message: 'scheduled refreshes need 12 calls/s but the budget allows 2 calls/s: answers are read about 6.2x less often than asked (a refreshInterval of 1m0s is kept as about 6m12s); raise the store annotation hush.dev/calls-per-second or lengthen refreshInterval',
    lastTransitionTime: now.toISOString(),
  });
  const within = readBudgetCondition({ neededCallsPerSecond: 0.4, allowedCallsPerSecond: 2, shortestIntervalMs: 5000 }, over, new Date('2026-12-02T01:00:00Z'));
  assert.equal(within?.status, 'True');
  assert.equal(within?.message, 'scheduled refreshes fit the budget of 2 calls/s');
  assert.equal(within?.lastTransitionTime, '2026-12-02T01:00:00.000Z', 'a turn moves the transition time');
  assert.equal(readBudgetCondition({ neededCallsPerSecond: 0.5, allowedCallsPerSecond: 2, shortestIntervalMs: 5000 }, within, new Date('2026-12-02T02:00:00Z'))?.lastTransitionTime, within?.lastTransitionTime, 'no turn, no move');
  assert.equal(readBudgetCondition({ neededCallsPerSecond: 0, allowedCallsPerSecond: 2, shortestIntervalMs: undefined }, undefined, now), undefined, 'nothing scheduled: no condition');
});
