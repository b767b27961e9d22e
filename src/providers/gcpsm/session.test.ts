/**
 * The token session's timing with an injected clock: when a token is reused
 * and when it is replaced is decided by the session's own arithmetic, so it is
 * tested without waiting. (provider.test.ts checks the same against the fake
 * token endpoint on the real clock.) The auth method here is a stand-in that
 * hands out numbered tokens: the session never looks inside them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessTokenSession } from './session.ts';
import type { GcpAuthContext, GcpAuthMethod } from './auth/types.ts';

function setup(lifetimeMs: number | undefined) {
  let now = 1_000_000;
  let fetches = 0;
  /** While set, a fetch waits for it: lets a test start two callers during one fetch. */
  let gate: Promise<void> | undefined;
  const auth: GcpAuthMethod = {
    name: 'test',
    async fetchToken() {
      fetches++;
      await gate;
      return { token: `t${fetches}`, expiresAt: lifetimeMs === undefined ? undefined : new Date(now + lifetimeMs) };
    },
  };
  const ctx = { remember: () => undefined } as unknown as GcpAuthContext;
  const session = new AccessTokenSession(auth, ctx, () => now);
  return {
    session,
    advance: (ms: number) => (now += ms),
    fetches: () => fetches,
    /** Holds fetches until the returned function is called. */
    hold: () => {
      let open!: () => void;
      gate = new Promise<void>((r) => (open = r));
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}

const signal = new AbortController().signal;

test('a token is reused until two thirds of its life have passed, then replaced', async () => {
  const s = setup(3_000);
  assert.equal(await s.session.token(signal), 't1');
  s.advance(1_999);
  assert.equal(await s.session.token(signal), 't1', 'just before two thirds');
  s.advance(1);
  assert.equal(await s.session.token(signal), 't2', 'at two thirds');
  assert.equal(s.fetches(), 2);
});

test('without an expiry the token counts as an hour old at most: replaced after 40 minutes', async () => {
  const s = setup(undefined);
  await s.session.token(signal);
  s.advance(40 * 60_000 - 1);
  assert.equal(await s.session.token(signal), 't1');
  s.advance(1);
  assert.equal(await s.session.token(signal), 't2');
});

test('concurrent callers share one fetch; invalidate drops only the current token', async () => {
  const s = setup(3_600_000);
  const open = s.hold();
  const both = Promise.all([s.session.token(signal), s.session.token(signal)]);
  open();
  assert.deepEqual(await both, ['t1', 't1']);
  assert.equal(s.fetches(), 1);
  s.session.invalidate('not-current');
  assert.equal(await s.session.token(signal), 't1');
  s.session.invalidate('t1');
  assert.equal(await s.session.token(signal), 't2');
});
