import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ThrottledError } from '../../util/errors.ts';
import { StoreLimiter, type LimiterOptions } from './limiter.ts';

/** A limiter on a virtual clock: sleeping advances time, so tests are exact and instant. */
function virtual(opts: Omit<LimiterOptions, 'now' | 'sleep'>): { limiter: StoreLimiter; clock: { t: number; slept: number[] } } {
  const clock = { t: 1_000_000, slept: [] as number[] };
  const limiter = new StoreLimiter({
    ...opts,
    now: () => clock.t,
    sleep: (ms) => {
      clock.slept.push(ms);
      clock.t += ms;
      return Promise.resolve();
    },
  });
  return { limiter, clock };
}

describe('StoreLimiter', () => {
  it('lets a burst through at once, then spaces calls at the steady rate', async () => {
    const { limiter, clock } = virtual({ ratePerSecond: 10, burst: 3 });
    const start = clock.t;
    for (let i = 0; i < 3; i++) await limiter.acquire();
    assert.equal(clock.t, start, 'the burst does not wait');
    for (let i = 0; i < 5; i++) await limiter.acquire();
    assert.equal(clock.t - start, 500, 'five more calls at 10/s take 500 ms');
  });

  it('after a throttling answer, holds every call of the store back and halves the rate', async () => {
    const { limiter, clock } = virtual({ ratePerSecond: 40, burst: 40, maxWaitMs: 500 });
    assert.equal(limiter.throttled(), 1000);
    assert.equal(limiter.state.ratePerSecond, 20);
    await assert.rejects(limiter.acquire(), (err: unknown) => {
      assert.ok(err instanceof ThrottledError);
      assert.equal(err.retryAfterMs, 1000);
      assert.match(err.message, /AWS throttled this store/);
      return true;
    });
    clock.t += 600;
    // 400 ms left: short enough to wait in line.
    await limiter.acquire();
    assert.equal(clock.slept.at(-1), 400);
  });

  it('doubles the pause on consecutive throttles, up to the maximum, and a success ends the streak', () => {
    const { limiter, clock } = virtual({ ratePerSecond: 40, burst: 40, maxPauseMs: 5000 });
    const pauses = [1, 2, 3, 4].map(() => {
      const p = limiter.throttled();
      clock.t += p;
      return p;
    });
    assert.deepEqual(pauses, [1000, 2000, 4000, 5000]);
    assert.equal(limiter.state.ratePerSecond, 2.5);
    limiter.succeeded();
    assert.equal(limiter.throttled(), 1000);
  });

  it('raises the rate back a little with every success', () => {
    const { limiter } = virtual({ ratePerSecond: 50, burst: 50 });
    limiter.throttled();
    assert.equal(limiter.state.ratePerSecond, 25);
    for (let i = 0; i < 10; i++) limiter.succeeded();
    assert.equal(limiter.state.ratePerSecond, 35);
    for (let i = 0; i < 100; i++) limiter.succeeded();
    assert.equal(limiter.state.ratePerSecond, 50);
  });

  it('fails a call at once instead of queueing it for longer than maxWaitMs', async () => {
    // The clock stands still, as when many reconciles arrive in the same instant.
    const limiter = new StoreLimiter({ ratePerSecond: 1, burst: 1, maxWaitMs: 2500, now: () => 0, sleep: () => Promise.resolve() });
    await limiter.acquire(); // the burst token
    await limiter.acquire(); // in line for 1 s
    await limiter.acquire(); // in line for 2 s
    await assert.rejects(limiter.acquire(), (err: unknown) => err instanceof ThrottledError && err.retryAfterMs === 3000 && /call rate limit/.test(err.message));
  });
});
