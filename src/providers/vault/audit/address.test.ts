import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopback, parseListenAddress } from './address.ts';

void describe('parseListenAddress', () => {
  void it('takes HOST:PORT, :PORT, [IPv6]:PORT and unix:/path', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:9090'), { kind: 'tcp', host: '127.0.0.1', port: 9090 });
    assert.deepEqual(parseListenAddress(':9090'), { kind: 'tcp', host: undefined, port: 9090 });
    assert.deepEqual(parseListenAddress('[::1]:9090'), { kind: 'tcp', host: '::1', port: 9090 });
    assert.deepEqual(parseListenAddress('unix:/run/hush/audit.sock'), { kind: 'unix', path: '/run/hush/audit.sock' });
  });

  void it('refuses what it cannot listen on, with a code', () => {
    for (const bad of ['9090', 'host', 'host:99999', '::1:9090', 'unix:audit.sock', '']) {
      assert.throws(() => parseListenAddress(bad), { code: 'InvalidConfig' }, bad);
    }
  });

  void it('knows loopback from the rest', () => {
    assert.equal(isLoopback(parseListenAddress('127.0.0.1:1')), true);
    assert.equal(isLoopback(parseListenAddress('[::1]:1')), true);
    assert.equal(isLoopback(parseListenAddress('unix:/x')), true);
    assert.equal(isLoopback(parseListenAddress(':1')), false);
    assert.equal(isLoopback(parseListenAddress('0.0.0.0:1')), false);
  });
});
