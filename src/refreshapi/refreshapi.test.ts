import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute, storeKeyOf } from './routes.ts';
import { KeyedBuckets, TokenBucket } from './ratelimit.ts';
import { checkListenPlan } from './server.ts';
import { bearerToken } from './auth.ts';

test('routes: the four endpoints, names checked, anything else 404', () => {
  assert.deepEqual(parseRoute('/v1/refresh/namespaces/team-a/externalsecrets/db.creds'), { ok: true, route: { kind: 'externalsecret', namespace: 'team-a', name: 'db.creds' } });
  assert.deepEqual(parseRoute('/v1/refresh/namespaces/team-a'), { ok: true, route: { kind: 'namespace', namespace: 'team-a' } });
  const s = parseRoute('/v1/refresh/secretstores/team-a/vault?key=app%2Fdb%20pass');
  assert.deepEqual(s, { ok: true, route: { kind: 'store', storeKind: 'SecretStore', namespace: 'team-a', name: 'vault', remoteKey: 'app/db pass' } });
  if (s.ok && s.route.kind === 'store') assert.equal(storeKeyOf(s.route), 'SecretStore/team-a/vault');
  const c = parseRoute('/v1/refresh/clustersecretstores/shared?key=k');
  if (c.ok && c.route.kind === 'store') assert.equal(storeKeyOf(c.route), 'ClusterSecretStore//shared');
  else assert.fail('clustersecretstore route');
  assert.equal(parseRoute('/v1/refresh/secretstores/team-a/vault').ok, false);
  assert.deepEqual(parseRoute('/v1/refresh/secretstores/team-a/vault?key=a&key=b'), { ok: false, status: 400, message: 'give the remote key once, as ?key=<remote key>' });
  for (const bad of ['/v1/refresh/namespaces/Team_A', '/v1/refresh/namespaces/a/externalsecrets/..', '/v1/refresh/namespaces/a%2Fb']) {
    const r = parseRoute(bad);
    assert.ok(!r.ok && r.status === 400, bad);
  }
  for (const none of ['/', '/v1/refresh', '/v1/refresh/namespaces/a/secrets/b', '/v2/refresh/namespaces/a', '/v1/refresh/namespaces/a/', '/v1/refresh/namespaces/x/externalsecrets/../../y']) {
    const r = parseRoute(none);
    assert.ok(!r.ok && r.status === 404, none);
  }
});

test('token bucket: burst, then refusal with the wait until the next token', () => {
  let t = 0;
  const b = new TokenBucket({ ratePerSecond: 5, burst: 2 }, () => t);
  assert.equal(b.take().ok, true);
  assert.equal(b.take().ok, true);
  assert.deepEqual(b.take(), { ok: false, retryAfterMs: 200 });
  t += 200;
  assert.equal(b.take().ok, true);
  const k = new KeyedBuckets({ ratePerSecond: 1, burst: 1 }, () => t, 2);
  assert.equal(k.take('a').ok, true);
  assert.equal(k.take('a').ok, false);
  assert.equal(k.take('b').ok, true, 'another user has a bucket of their own');
  t += 5000;
  k.take('c'); // the map is full: idle (full) buckets are dropped first
  assert.equal(k.size, 1);
});

test('listen plan: TLS needs both files; plain HTTP only on loopback or with --refresh-api-insecure', () => {
  const none = { certFile: undefined, keyFile: undefined };
  assert.equal(checkListenPlan('127.0.0.1:8443', none, false), undefined);
  assert.equal(checkListenPlan('[::1]:8443', none, false), undefined);
  assert.match(checkListenPlan(':8443', none, false) ?? '', /not a loopback address/);
  assert.match(checkListenPlan('10.0.0.5:8443', none, false) ?? '', /not a loopback address/);
  assert.equal(checkListenPlan(':8443', none, true), undefined);
  assert.equal(checkListenPlan(':8443', { certFile: 'c.pem', keyFile: 'k.pem' }, false), undefined);
  assert.match(checkListenPlan(':8443', { certFile: 'c.pem', keyFile: undefined }, false) ?? '', /go together/);
  assert.match(checkListenPlan('nonsense', none, false) ?? '', /--refresh-api-addr/);
});

test('bearer tokens: only "Bearer <token>"', () => {
  assert.equal(bearerToken('Bearer abc.def'), 'abc.def');
  assert.equal(bearerToken('bearer abc'), 'abc');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken('Bearer '), undefined);
  assert.equal(bearerToken('Bearer a b'), undefined);
  assert.equal(bearerToken(undefined), undefined);
});
