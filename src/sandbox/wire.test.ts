import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataKeyError, MacMismatchError, MacNotFoundError } from '../sops/errors.ts';
import { TemplateError } from '../template/errors.ts';
import { errorForCode, HushError, InternalError, type ErrorCode } from '../util/errors.ts';
import { fromWire, toWire } from './wire.ts';

/** What a worker does to an error: to data, through structured clone (postMessage), and back. */
const roundTrip = (err: unknown) => fromWire(structuredClone(toWire(err)));

const codes: ErrorCode[] = ['NotFound', 'PropertyNotFound', 'AuthFailed', 'AccessDenied', 'Throttled', 'Unavailable', 'Timeout', 'InvalidConfig', 'InvalidSpec', 'InvalidData', 'NotSupported', 'Conflict', 'TargetConflict', 'Internal'];

test('every error code comes back as its own class, with message, retryability and retryAfterMs', () => {
  for (const code of codes) {
    const err = errorForCode(code, `boom ${code}`).withRetryAfter(1500);
    const back = roundTrip(err);
    assert.equal(back.constructor, err.constructor, code);
    assert.deepEqual([back.code, back.message, back.retryable, back.retryAfterMs, back.name], [code, `boom ${code}`, err.retryable, 1500, err.name]);
  }
});

test('classes callers test with instanceof survive: TemplateError (phase, line, column) and the SOPS errors', () => {
  const t = roundTrip(new TemplateError('template: x:3:7: boom', { templateName: 'x', phase: 'execute', line: 3, column: 7 }));
  assert.ok(t instanceof TemplateError);
  assert.deepEqual([t.code, t.phase, t.templateName, t.line, t.column], ['InvalidData', 'execute', 'x', 3, 7]);
  for (const E of [MacMismatchError, MacNotFoundError, DataKeyError]) {
    const back = roundTrip(new E('sops'));
    assert.ok(back instanceof E, E.name);
  }
});

test('causes travel as errors with their name and message; a non-Hush error becomes Internal naming it', () => {
  const inner = new RangeError('deep');
  const back = roundTrip(new InternalError('outer', { cause: inner }));
  assert.ok(back.cause instanceof Error);
  assert.deepEqual([(back.cause).name, (back.cause).message], ['RangeError', 'deep']);
  const plain = roundTrip(new TypeError('not hush'));
  assert.ok(plain instanceof HushError && plain.code === 'Internal');
  assert.equal(plain.message, 'TypeError: not hush');
});
