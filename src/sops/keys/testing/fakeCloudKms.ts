/**
 * A FAKE Google Cloud KMS, for tests: no Cloud KMS emulator exists, so this
 * serves the two REST calls sops needs (`POST /v1/{cryptoKey}:encrypt` and
 * `:decrypt`, JSON with base64 bytes, Google's error bodies) on a loopback
 * HTTP port. Each CryptoKey has its own AES-256-GCM key, so a ciphertext made
 * under one key does not decrypt under another, as with the real service.
 * Callers are authorized by bearer token (`authorize` says whose it is) and
 * per-key grants, answering 401 UNAUTHENTICATED / 403 PERMISSION_DENIED /
 * 404 NOT_FOUND / 400 INVALID_ARGUMENT like Cloud KMS.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeCloudKms {
  /** http://127.0.0.1:<port> (SOPS_GCP_KMS_ENDPOINT). */
  url: string;
  /** Creates a CryptoKey usable by the given principals. */
  addKey(resourceId: string, principals: string[]): void;
  /** Requests answered, by outcome: "encrypt", "decrypt", "401", "403", "404", "400". */
  counts: Map<string, number>;
  stop(): Promise<void>;
}

export async function startFakeCloudKms(opts: { authorize: (token: string) => string | undefined }): Promise<FakeCloudKms> {
  const keys = new Map<string, { secret: Buffer; principals: Set<string> }>();
  const counts = new Map<string, number>();
  const count = (k: string): void => void counts.set(k, (counts.get(k) ?? 0) + 1);
  const fail = (res: http.ServerResponse, code: number, status: string, message: string): void => {
    count(String(code));
    send(res, code, { error: { code, message, status } });
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const m = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/:]+):(encrypt|decrypt)$/.exec(path);
      if (req.method !== 'POST' || !m) return fail(res, 404, 'NOT_FOUND', `no route ${path}`);
      const [, id, op] = m as unknown as [string, string, 'encrypt' | 'decrypt'];
      const auth = req.headers.authorization ?? '';
      const who = auth.startsWith('Bearer ') ? opts.authorize(auth.slice(7)) : undefined;
      if (!who) {
        return fail(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
      }
      const key = keys.get(id);
      const perm = op === 'encrypt' ? 'useToEncrypt' : 'useToDecrypt';
      if (key && !key.principals.has(who)) return fail(res, 403, 'PERMISSION_DENIED', `Permission 'cloudkms.cryptoKeyVersions.${perm}' denied on resource '${id}' (or it may not exist).`);
      if (!key) return fail(res, 404, 'NOT_FOUND', `CryptoKey ${id} not found.`);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return fail(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
      }
      if (op === 'encrypt') {
        if (typeof body.plaintext !== 'string') return fail(res, 400, 'INVALID_ARGUMENT', 'plaintext is required.');
        const iv = randomBytes(12);
        const c = createCipheriv('aes-256-gcm', key.secret, iv);
        const ct = Buffer.concat([iv, c.update(Buffer.from(body.plaintext, 'base64')), c.final(), c.getAuthTag()]);
        count('encrypt');
        return send(res, 200, { name: `${id}/cryptoKeyVersions/1`, ciphertext: ct.toString('base64'), protectionLevel: 'SOFTWARE' });
      }
      const ct = typeof body.ciphertext === 'string' ? Buffer.from(body.ciphertext, 'base64') : Buffer.alloc(0);
      try {
        if (ct.length < 28) throw new Error('short');
        const d = createDecipheriv('aes-256-gcm', key.secret, ct.subarray(0, 12));
        d.setAuthTag(ct.subarray(ct.length - 16));
        const pt = Buffer.concat([d.update(ct.subarray(12, ct.length - 16)), d.final()]);
        count('decrypt');
        return send(res, 200, { plaintext: pt.toString('base64'), usedPrimary: true, protectionLevel: 'SOFTWARE' });
      } catch {
        return fail(res, 400, 'INVALID_ARGUMENT', 'Decryption failed: the ciphertext is invalid.');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    addKey(resourceId, principals) {
      keys.set(resourceId, { secret: randomBytes(32), principals: new Set(principals) });
    },
    counts,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
