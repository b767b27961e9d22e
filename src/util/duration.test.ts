import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, formatGoDurationNs, GoDurationError, parseGoDuration, parseGoDurationNs, tryParseGoDuration } from './duration.ts';

test('parses the Go durations ESO manifests use, in milliseconds', () => {
  assert.equal(parseGoDuration('1h'), 3_600_000);
  assert.equal(parseGoDuration('15m30s'), 930_000);
  assert.equal(parseGoDuration('1h0m0s'), 3_600_000);
  assert.equal(parseGoDuration('2h30m'), 9_000_000);
  assert.equal(parseGoDuration('500ms'), 500);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('.5m'), 30_000);
  assert.equal(parseGoDuration('10µs'), 0.01);
  assert.equal(parseGoDuration('10μs'), 0.01);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('0s'), 0);
  assert.equal(parseGoDuration('-1s'), -1000);
  assert.equal(parseGoDuration('+1m'), 60_000);
});

test('rejects bad durations naming the field and the fix, keeping Go’s error as the cause', () => {
  // Go does not trim: " 1h" is as invalid as "1 h".
  for (const bad of ['', '1', '10', 'h', '1d', '1 h', ' 1h', '1h ', '1h-', '.s', 'abc', '1 hour', '-', '+']) {
    assert.throws(() => parseGoDuration(bad, 'spec.refreshInterval'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'InvalidSpec');
      assert.ok(err.message.startsWith(`spec.refreshInterval: invalid duration ${JSON.stringify(bad)}: use a Go duration`), err.message);
      assert.ok(err.cause instanceof GoDurationError);
      return true;
    }, bad);
  }
  assert.equal(tryParseGoDuration('1x'), undefined);
  assert.equal(tryParseGoDuration('30s'), 30_000);
});

test('time.ParseDuration’s nanoseconds, int64 limits and error texts', () => {
  // Expected values are Go 1.26's time.ParseDuration.
  assert.equal(parseGoDurationNs('1h2m3.5s'), 3_723_500_000_000n);
  assert.equal(parseGoDurationNs('9223372036854775807ns'), 9_223_372_036_854_775_807n);
  assert.equal(parseGoDurationNs('-9223372036854775808ns'), -9_223_372_036_854_775_808n);
  assert.equal(parseGoDurationNs('1.0000000000000000000000001s'), 1_000_000_000n);
  assert.throws(() => parseGoDurationNs('9223372036854775808ns'), { message: 'time: invalid duration "9223372036854775808ns"' });
  assert.throws(() => parseGoDurationNs('3000000h'), { message: 'time: invalid duration "3000000h"' });
  assert.throws(() => parseGoDurationNs('1'), { message: 'time: missing unit in duration "1"' });
  assert.throws(() => parseGoDurationNs('1d'), { message: 'time: unknown unit "d" in duration "1d"' });
  assert.throws(() => parseGoDurationNs('1é'), { message: 'time: unknown unit "\\xc3\\xa9" in duration "1\\xc3\\xa9"' });
});

test('formats like Go Duration.String', () => {
  assert.equal(formatGoDuration(3_600_000), '1h0m0s');
  assert.equal(formatGoDuration(90_000), '1m30s');
  assert.equal(formatGoDuration(1500), '1.5s');
  assert.equal(formatGoDuration(500), '500ms');
  assert.equal(formatGoDuration(0), '0s');
  assert.equal(formatGoDuration(-0.0015), '-1.5µs');
  assert.equal(formatGoDurationNs(999n), '999ns');
  assert.equal(formatGoDurationNs(3_723_500_000_000n), '1h2m3.5s');
});
