import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration } from './duration.ts';

void test('Go durations as ESO users write them', () => {
  assert.equal(parseGoDuration('1h'), 3_600_000);
  assert.equal(parseGoDuration('1h0m0s'), 3_600_000);
  assert.equal(parseGoDuration('2h30m'), 9_000_000);
  assert.equal(parseGoDuration('15s'), 15_000);
  assert.equal(parseGoDuration('1.5s'), 1_500);
  assert.equal(parseGoDuration('.5m'), 30_000);
  assert.equal(parseGoDuration('500ms'), 500);
  assert.equal(parseGoDuration('10µs'), 0.01);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('0s'), 0);
  assert.equal(parseGoDuration('-1m'), -60_000);
});

void test('malformed durations are rejected with the field named and a hint', () => {
  for (const bad of ['', '1', 'h', '1d', '1 h', '1h-', '.s', 'abc']) {
    assert.throws(() => parseGoDuration(bad, 'spec.refreshInterval'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'InvalidSpec');
      assert.match(err.message, /^spec\.refreshInterval: invalid duration/);
      return true;
    }, bad);
  }
});
