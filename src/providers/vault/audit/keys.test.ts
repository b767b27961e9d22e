import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dataPath, metadataPath } from '../paths.ts';
import { keysFor } from './keys.ts';
import type { AuditWrite } from './record.ts';

const w = (path: string, mountPoint: string | undefined = path.split('/')[0], namespace = ''): AuditWrite => ({ namespace, path, mountPoint, operation: 'update' });

void describe('keysFor', () => {
  void it('every KV v2 path of a secret names it, in each spelling ESO accepts for a store with a mount', () => {
    for (const seg of ['data', 'metadata', 'delete', 'destroy', 'undelete']) {
      assert.deepEqual(keysFor(w(`secret/${seg}/team/db`), { namespace: '', mount: 'secret', version: 'v2' }), ['team/db', 'secret/team/db', 'secret/data/team/db']);
    }
  });

  void it('each reported key reads the path that was written (paths.ts, ESO\'s rules)', () => {
    const cfg = { mount: 'secret', version: 'v2' as const };
    for (const key of keysFor(w('secret/data/a/b'), { namespace: '', ...cfg })) assert.equal(dataPath(key, cfg), 'secret/data/a/b');
    const noMount = { mount: undefined, version: 'v2' as const };
    const mountless = keysFor(w('secret/metadata/a/b'), { namespace: '', ...noMount });
    for (const key of mountless) assert.equal(dataPath(key, noMount), 'secret/data/a/b');
    // metadataPolicy Fetch without a mount needs the "data" spelling; it is among them.
    assert.ok(mountless.some((key) => key.includes('/data/') && metadataPath(key, noMount) === 'secret/metadata/a/b'));
    const v1 = { mount: 'kv1', version: 'v1' as const };
    for (const key of keysFor(w('kv1/a/b'), { namespace: '', ...v1 })) assert.equal(dataPath(key, v1), 'kv1/a/b');
  });

  void it('KV v1: the path after the mount is the key', () => {
    assert.deepEqual(keysFor(w('kv1/app/one'), { namespace: '', mount: 'kv1', version: 'v1' }), ['app/one', 'kv1/app/one']);
    assert.deepEqual(keysFor(w('kv1/app/one'), { namespace: '', mount: undefined, version: 'v1' }), ['kv1/app/one']);
  });

  void it('paths that name no secret, other mounts and other namespaces give nothing', () => {
    const s = { namespace: '', mount: 'secret', version: 'v2' as const };
    assert.deepEqual(keysFor(w('secret/config'), s), []);
    assert.deepEqual(keysFor(w('secret/data/'), s), []);
    assert.deepEqual(keysFor(w('secretx/data/a'), s), []);
    assert.deepEqual(keysFor(w('other/data/a'), s), []);
    // A nested mount "secret/sub" is not mount "secret", though its paths start alike.
    assert.deepEqual(keysFor(w('secret/sub/data/a', 'secret/sub'), s), []);
    assert.deepEqual(keysFor(w('secret/data/a', 'secret', 'team1'), s), []);
    assert.deepEqual(keysFor(w('secret/data/a', 'secret', 'team1'), { ...s, namespace: '/team1/' }), ['a', 'secret/a', 'secret/data/a']);
  });
});
