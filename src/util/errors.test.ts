import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AuthError,
  InvalidConfigError,
  InvalidSpecError,
  NotFoundError,
  TargetConflictError,
  ThrottledError,
  asHushError,
  errorForCode,
  hasCode,
  isRetryableCode,
  type ErrorCode,
} from './errors.ts';
import { KubeApiError } from '../kube/api-error.ts';

test('wrapping keeps the class, the code, the cause and the retry hint', () => {
  const inner = new ThrottledError('store said slow down', { retryAfterMs: 7000 });
  const outer = inner.withContext('spec.data[0]').withContext('SecretStore "ns/s"');
  assert.ok(outer instanceof ThrottledError);
  assert.equal(outer.code, 'Throttled');
  assert.equal(outer.retryAfterMs, 7000);
  assert.equal(outer.message, 'SecretStore "ns/s": spec.data[0]: store said slow down');
  assert.equal((outer.cause as Error).message, 'spec.data[0]: store said slow down');
  assert.equal((outer.cause as Error).cause, inner);
  assert.equal(inner.message, 'store said slow down', 'the original is not changed');
});

test('wrapping a subclass keeps its own fields (KubeApiError status and reason)', () => {
  const e = new KubeApiError(404, 'NotFound', 'get secrets ns/x: not found');
  const w = e.withContext('reading the target');
  assert.ok(w instanceof KubeApiError);
  assert.equal(w.status, 404);
  assert.equal(w.reason, 'NotFound');
  assert.ok(hasCode(w, 'NotFound'));
});

test('withMessage replaces the message (redaction) and does not link the unredacted original as cause', () => {
  const root = new Error('socket closed');
  const e = new NotFoundError('key "a" = hunter2 missing', { cause: root });
  const r = e.withMessage('key "a" = [redacted] missing');
  assert.ok(r instanceof NotFoundError);
  assert.equal(r.message, 'key "a" = [redacted] missing');
  assert.equal(r.cause, root);
});

test('retryability belongs to the kind: the same code always answers the same', () => {
  const terminal: ErrorCode[] = ['InvalidSpec', 'NotSupported', 'TargetConflict', 'PolicyRefused'];
  for (const code of ['NotFound', 'PropertyNotFound', 'AuthFailed', 'AccessDenied', 'Throttled', 'Unavailable', 'Timeout', 'InvalidConfig', 'InvalidSpec', 'InvalidData', 'NotSupported', 'Conflict', 'TargetConflict', 'PolicyRefused', 'Internal'] as ErrorCode[]) {
    const e = errorForCode(code, 'x');
    assert.equal(e.code, code);
    assert.equal(e.retryable, !terminal.includes(code), code);
    assert.equal(isRetryableCode(code), e.retryable);
    assert.equal(e.withContext('c').retryable, e.retryable, 'wrapping does not change it');
  }
  assert.equal(new InvalidSpecError('x').retryable, false);
  assert.equal(new TargetConflictError('x').retryable, false);
  assert.equal(new InvalidConfigError('x').retryable, true);
  assert.equal(new AuthError('x').retryable, true);
});

test('asHushError keeps a HushError and wraps anything else as Internal with the original as cause', () => {
  const h = new NotFoundError('n');
  assert.equal(asHushError(h), h);
  const plain = new TypeError('boom');
  const w = asHushError(plain);
  assert.equal(w.code, 'Internal');
  assert.equal(w.message, 'TypeError: boom');
  assert.equal(w.cause, plain);
});
