/**
 * The clock-dependent date functions, compared with Go by shape: the
 * differential corpus pins `now`, so this is where the real clock is checked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderTemplate } from '../index.ts';
import { ensureOracle, runOracle } from '../testing/oracle.ts';

const oracle = ensureOracle();
const skip = oracle.path === undefined ? (oracle.reason ?? 'no oracle') : false;

const template = '{{ now }}|{{ now | unixEpoch }}|{{ ago now }}|{{ durationRound now }}|{{ date "2006" "not a time" }}|{{ ago (int64 0) | len | lt 8 }}|{{ now | date "MST -0700" }}';
// Time.String() of time.Now(): nanoseconds with trailing zeros trimmed, UTC as Local, and the monotonic reading.
const shape = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? \+0000 UTC m=\+\d+\.\d{9}\|(\d+)\|0s\|0s\|\d{4}\|true\|UTC \+0000$/;

describe('now and the functions that default to it', { skip }, () => {
  it('print the current time in the shape Go prints it', () => {
    const go = runOracle(oracle.path!, [{ template }]).results[0]!;
    assert.ok(go.ok, go.err);
    const ts = renderTemplate(template, {});
    const goMatch = shape.exec(go.out!.toString());
    const tsMatch = shape.exec(ts);
    assert.ok(goMatch, `Go output changed shape: ${go.out!.toString()}`);
    assert.ok(tsMatch, `Hush output has the wrong shape: ${ts}`);
    assert.ok(Math.abs(Number(tsMatch[2]) - Date.now() / 1000) < 5);
    assert.ok(Math.abs(Number(tsMatch[2]) - Number(goMatch[2])) < 5);
  });

  it('can be pinned for reproducible renders, keeping the zone of an RFC 3339 string', () => {
    assert.equal(renderTemplate('{{ now | unixEpoch }} {{ now }}', {}, { now: '2024-05-01T12:00:00+02:00' }), '1714557600 2024-05-01 12:00:00 +0200 +0200');
    assert.equal(renderTemplate('{{ now | date "2006-01-02" }}', {}, { now: new Date(Date.UTC(2030, 0, 2)) }), '2030-01-02');
  });
});
