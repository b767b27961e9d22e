/**
 * Golden lines: response records written by OpenBao 2.7.2's socket audit
 * device (captured from the dev server; tokens, accessors and ids removed,
 * HMACs kept as OpenBao wrote them).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAuditLine } from './record.ts';

const created =
  '{"time":"2026-12-02T14:08:01.403093499Z","type":"response","request":{"operation":"create","mount_point":"secret/","mount_type":"kv","mount_class":"secret","namespace":{"id":"root"},"path":"secret/data/app/one","data":{"data":{"a":"hmac-sha256:1577c816e0c85445d7c756b3d567dbe8949679e46d0c869c88139555841e2171"}},"remote_address":"127.0.0.1"},"response":{"mount_point":"secret/","mount_type":"kv","mount_class":"secret","data":{"created_time":"2026-12-02T14:08:01.401895993Z","custom_metadata":null,"destroyed":false,"version":1}}}';
const deniedRequest =
  '{"time":"2026-12-02T14:08:01.418479649Z","type":"request","request":{"operation":"create","mount_point":"secret/","mount_type":"kv","mount_class":"secret","namespace":{"id":"root"},"path":"secret/data/app/denied","data":{"data":{"a":"hmac-sha256:1577c816e0c85445d7c756b3d567dbe8949679e46d0c869c88139555841e2171"}},"remote_address":"127.0.0.1"},"error":"1 error occurred:\\n\\t* permission denied\\n\\n"}';
const deniedResponse =
  '{"time":"2026-12-02T14:08:01.420347249Z","type":"response","request":{"operation":"create","mount_point":"secret/","mount_type":"kv","mount_class":"secret","namespace":{"id":"root"},"path":"secret/data/app/denied","data":{"data":{"a":"hmac-sha256:1577c816e0c85445d7c756b3d567dbe8949679e46d0c869c88139555841e2171"}},"remote_address":"127.0.0.1"},"response":{"mount_point":"secret/","mount_type":"kv","mount_class":"secret","data":{"error":"hmac-sha256:d0c70ae0c210ccb22ede33e2337acce8d18a4cabaad09c322b609e6757ff6e96"}},"error":"1 error occurred:\\n\\t* permission denied\\n\\n"}';
const casMismatch =
  '{"time":"2026-12-02T14:16:28.919527065Z","type":"response","request":{"operation":"update","mount_point":"secret/","mount_type":"kv","mount_class":"secret","namespace":{"id":"root"},"path":"secret/data/rmx67lkpy/cas","data":{"data":{"a":"hmac-sha256:c363647540367a50960b08115b10b910e7f74ff00acfe54e24943ac6e51effc5"},"options":{"cas":0}}},"response":{"mount_point":"secret/","mount_type":"kv","mount_class":"secret","data":{"error":"hmac-sha256:d1d23777a97e56998efd72f6f7b7cc4bbd04d81b3313207fc0b0c6e1871f22af"}},"error":"1 error occurred:\\n\\t* invalid request\\n\\n"}';
const inNamespace =
  '{"time":"2026-12-02T14:16:29.065465162Z","type":"response","request":{"operation":"create","mount_point":"rmx67lkpy-ns/secret/","mount_type":"kv","mount_class":"secret","namespace":{"id":"SBOFd0","path":"rmx67lkpy-ns/"},"path":"secret/data/rmx67lkpy/in-ns","data":{"data":{"a":"hmac-sha256:2315aa9cbbc301def8883294bc4a4a1a64fe6b9ec13c7409dad1d9eaba630df4"}}},"response":{"data":{"version":1}}}';

void describe('parseAuditLine', () => {
  void it('a successful response record is a write, with the mount Vault resolved', () => {
    assert.deepEqual(parseAuditLine(created), {
      kind: 'write',
      write: { namespace: '', path: 'secret/data/app/one', mountPoint: 'secret', operation: 'create' },
    });
  });

  void it('request records are ignored: only the response tells whether the write happened', () => {
    assert.deepEqual(parseAuditLine(created.replace('"type":"response"', '"type":"request"')), { kind: 'ignored' });
    assert.deepEqual(parseAuditLine(deniedRequest), { kind: 'ignored' });
  });

  void it('a denied write and a check-and-set mismatch are no change (top-level error, or an error body alone)', () => {
    assert.deepEqual(parseAuditLine(deniedResponse), { kind: 'ignored' });
    assert.deepEqual(parseAuditLine(casMismatch), { kind: 'ignored' });
    // Either signal alone suffices.
    assert.deepEqual(parseAuditLine(casMismatch.replace(/,"error":"[^"]*"\}$/, '}')), { kind: 'ignored' });
    assert.deepEqual(parseAuditLine(deniedResponse.replace('"data":{"error":"hmac-sha256:d0c70ae0c210ccb22ede33e2337acce8d18a4cabaad09c322b609e6757ff6e96"}', '"data":{}')), { kind: 'ignored' });
  });

  void it('inside a namespace the mount point is made relative to it, like the path', () => {
    assert.deepEqual(parseAuditLine(inNamespace), {
      kind: 'write',
      write: { namespace: 'rmx67lkpy-ns', path: 'secret/data/rmx67lkpy/in-ns', mountPoint: 'secret', operation: 'create' },
    });
  });

  void it('reads are not writes; a prefix before the JSON is skipped; other text is invalid', () => {
    assert.deepEqual(parseAuditLine(created.replace('"operation":"create"', '"operation":"read"')), { kind: 'ignored' });
    assert.equal(parseAuditLine('vault-audit: ' + created).kind, 'write');
    assert.deepEqual(parseAuditLine('<json:object name="x">'), { kind: 'invalid' });
    assert.deepEqual(parseAuditLine('{"type":"response"'), { kind: 'invalid' });
    assert.deepEqual(parseAuditLine(''), { kind: 'ignored' });
  });
});
