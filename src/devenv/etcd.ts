/**
 * etcd's own API, for what the Kubernetes API cannot do: read the store's current revision and
 * compact its history. Compacting up to now makes every older resourceVersion answer 410 Gone,
 * as on a busy cluster long after a client fell behind, without waiting for the apiserver's own
 * compaction timer.
 */
import type { DevEnv } from './dev-env.ts';
import { httpCall } from './http.ts';
import { LOOPBACK } from './ports.ts';
import { InvalidDataError, UnavailableError } from '../util/errors.ts';

async function etcdPost(env: Pick<DevEnv, 'ports'>, path: string, body: unknown): Promise<unknown> {
  const res = await httpCall(`http://${LOOPBACK}:${env.ports.etcd}${path}`, { method: 'POST', body });
  if (res.status !== 200) throw new UnavailableError(`etcd ${path}: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
  return res.json;
}

/** etcd's current revision, which is also the newest resourceVersion the apiserver hands out. */
export async function etcdRevision(env: Pick<DevEnv, 'ports'>): Promise<number> {
  // A range over a key nobody writes still carries the store-wide revision in its header.
  const res = (await etcdPost(env, '/v3/kv/range', { key: Buffer.from('/').toString('base64') })) as { header?: { revision?: string } };
  const rev = Number(res.header?.revision);
  if (!Number.isSafeInteger(rev) || rev <= 0) throw new InvalidDataError('etcd answered a range request without a revision');
  return rev;
}

/** Compacts etcd's history up to its current revision and returns that revision. */
export async function compactEtcd(env: Pick<DevEnv, 'ports'>): Promise<number> {
  const rev = await etcdRevision(env);
  // physical: return only once the old revisions are really gone, so a watch from before fails.
  await etcdPost(env, '/v3/kv/compaction', { revision: String(rev), physical: true });
  return rev;
}
