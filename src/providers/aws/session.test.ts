import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AwsCredentials, CredentialSource } from './auth/types.ts';
import { CredentialSession } from './session.ts';

/** A credential source on a virtual clock that counts how often it is asked. */
function source(clock: { t: number }, lifetimeMs: number | undefined): CredentialSource & { obtained: number } {
  const s = {
    name: 'test',
    obtained: 0,
    obtain(): Promise<AwsCredentials> {
      s.obtained++;
      return new Promise((r) =>
        setImmediate(() => r({ accessKeyId: `AKIA${s.obtained}`, secretAccessKey: 'x', ...(lifetimeMs ? { expiration: new Date(clock.t + lifetimeMs) } : {}) })),
      );
    },
  };
  return s;
}

describe('CredentialSession', () => {
  it('obtains once for concurrent callers and reuses the credentials', async () => {
    const clock = { t: 0 };
    const src = source(clock, 3600_000);
    const session = new CredentialSession(src, { now: () => clock.t });
    const got = await Promise.all(Array.from({ length: 10 }, () => session.get()));
    assert.equal(src.obtained, 1);
    assert.ok(got.every((c) => c.accessKeyId === 'AKIA1'));
  });

  it('refreshes temporary credentials after two thirds of their life, before they expire', async () => {
    const clock = { t: 0 };
    const src = source(clock, 15 * 60_000); // STS AssumeRole's default 15 minutes
    const session = new CredentialSession(src, { now: () => clock.t });
    await session.get();
    clock.t = 9 * 60_000;
    assert.equal((await session.get()).accessKeyId, 'AKIA1');
    clock.t = 10 * 60_000 + 1;
    assert.equal((await session.get()).accessKeyId, 'AKIA2');
    assert.equal(src.obtained, 2);
  });

  it('re-reads long-lived keys every five minutes (a rotated Secret is picked up)', async () => {
    const clock = { t: 0 };
    const src = source(clock, undefined);
    const session = new CredentialSession(src, { now: () => clock.t });
    await session.get();
    clock.t = 4 * 60_000;
    await session.get();
    assert.equal(src.obtained, 1);
    clock.t = 5 * 60_000;
    assert.equal((await session.get()).accessKeyId, 'AKIA2');
  });

  it('invalidate drops the credentials so the next call obtains new ones', async () => {
    const clock = { t: 0 };
    const src = source(clock, 3600_000);
    const session = new CredentialSession(src, { now: () => clock.t });
    await session.get();
    session.invalidate();
    assert.equal((await session.get()).accessKeyId, 'AKIA2');
  });
});
