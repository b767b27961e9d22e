import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dataPath, metadataPath } from './paths.ts';

void describe('vault data paths (ESO buildPath)', () => {
  void it('v2 with a mount: strips the mount and data/ prefixes', () => {
    const cfg = { mount: 'secret', version: 'v2' as const };
    assert.equal(dataPath('foo', cfg), 'secret/data/foo');
    assert.equal(dataPath('secret/foo', cfg), 'secret/data/foo');
    assert.equal(dataPath('secret/data/foo', cfg), 'secret/data/foo');
    assert.equal(dataPath('team/db', cfg), 'secret/data/team/db');
  });

  void it('v1 with a mount: strips the mount only', () => {
    const cfg = { mount: 'kv', version: 'v1' as const };
    assert.equal(dataPath('foo', cfg), 'kv/foo');
    assert.equal(dataPath('kv/foo', cfg), 'kv/foo');
    assert.equal(dataPath('kv/data/foo', cfg), 'kv/data/foo');
  });

  void it('v2 without a mount: inserts data after the first segment unless present', () => {
    const cfg = { mount: undefined, version: 'v2' as const };
    assert.equal(dataPath('secret/a/b', cfg), 'secret/data/a/b');
    assert.equal(dataPath('foo', cfg), 'foo/data');
    assert.equal(dataPath('secret/a/data/b', cfg), 'secret/a/data/b');
  });

  void it('v1 without a mount: unchanged', () => {
    assert.equal(dataPath('kv/a/b', { mount: undefined, version: 'v1' }), 'kv/a/b');
  });

  void it('metadata paths', () => {
    assert.equal(metadataPath('foo', { mount: 'secret', version: 'v2' }), 'secret/metadata/foo');
    assert.equal(metadataPath('secret/data/foo', { mount: 'secret', version: 'v2' }), 'secret/metadata/foo');
    assert.equal(metadataPath('secret/data/foo', { mount: undefined, version: 'v2' }), 'secret/metadata/foo');
    assert.equal(metadataPath('foo', { mount: 'kv', version: 'v1' }), 'kv/foo');
    assert.throws(() => metadataPath('secret/foo', { mount: undefined, version: 'v2' }), /isn't a valid kv v2 path/);
  });
});
