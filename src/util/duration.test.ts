import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, parseGoDuration } from './duration.ts';

test('parses the Go durations ESO manifests use', () => {
  assert.equal(parseGoDuration('1h'), 3_600_000);
  assert.equal(parseGoDuration('15m30s'), 930_000);
  assert.equal(parseGoDuration('1h0m0s'), 3_600_000);
  assert.equal(parseGoDuration('500ms'), 500);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('0s'), 0);
  assert.equal(parseGoDuration('-1s'), -1000);
});

test('rejects bad durations naming the field and the fix', () => {
  assert.throws(() => parseGoDuration('1 hour', 'spec.refreshInterval'), /spec\.refreshInterval: invalid duration "1 hour": use a Go duration/);
  assert.throws(() => parseGoDuration('10'), /invalid duration "10"/);
  assert.throws(() => parseGoDuration(''), /invalid duration/);
});

test('formats like Go Duration.String', () => {
  assert.equal(formatGoDuration(3_600_000), '1h0m0s');
  assert.equal(formatGoDuration(90_000), '1m30s');
  assert.equal(formatGoDuration(1500), '1.5s');
  assert.equal(formatGoDuration(500), '500ms');
  assert.equal(formatGoDuration(0), '0s');
});
