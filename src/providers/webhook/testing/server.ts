/**
 * A small secrets HTTP API for webhook tests (the webhook provider talks to
 * whatever HTTP service a user has; this is one such service, real HTTP on
 * loopback, optionally TLS). It keeps every request it served so tests can
 * check what was sent.
 *
 *   GET  /secrets/<key>[?version=v]   → {"data": {...value...}} (404 when absent)
 *   POST /lookup  body {"key": "..."} → the same answer
 *   GET  /raw/<key>                   → the value as text
 *   GET  /slow                        → answers after 2 s
 *   GET  /throttled                   → 429 with Retry-After: `retryAfter` (none when undefined)
 *   GET  /boom                        → 500 whose body holds a canary
 *
 * When `token` is set, every request needs `Authorization: Bearer <token>`;
 * when `basic` is set, `Authorization: Basic ...` of that user:password.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface SecretsApi {
  url: string;
  port: number;
  values: Map<string, unknown>;
  seen: SeenRequest[];
  token: string | undefined;
  basic: { user: string; password: string } | undefined;
  /** The Retry-After header /throttled sends (default "1"; undefined sends none). */
  retryAfter: string | undefined;
  stop(): Promise<void>;
}

export const BOOM_CANARY = 'boom-body-canary-7f3a';

export async function startSecretsApi(opts: { tls?: { certPath: string; keyPath: string } } = {}): Promise<SecretsApi> {
  const values = new Map<string, unknown>();
  const seen: SeenRequest[] = [];
  const api: SecretsApi = { url: '', port: 0, values, seen, token: undefined, basic: undefined, retryAfter: '1', stop: () => Promise.resolve() };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const json = (status: number, v: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      const auth = req.headers.authorization ?? '';
      if (api.token !== undefined && auth !== `Bearer ${api.token}`) return json(401, { error: 'unauthorized' });
      if (api.basic !== undefined && auth !== `Basic ${Buffer.from(`${api.basic.user}:${api.basic.password}`).toString('base64')}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="secrets"' });
        return void res.end();
      }
      const u = new URL(req.url ?? '/', 'http://x');
      const answer = (key: string): void => {
        const version = u.searchParams.get('version');
        const v = values.get(version ? `${key}@${version}` : key);
        if (v === undefined) return json(404, { error: 'not found' });
        json(200, { data: v });
      };
      if (req.method === 'GET' && u.pathname.startsWith('/secrets/')) return answer(decodeURIComponent(u.pathname.slice('/secrets/'.length).replace(/\+/g, ' '))); // keys arrive query-escaped, as ESO's url template makes them
      if (req.method === 'POST' && u.pathname === '/lookup') {
        try {
          return answer(String((JSON.parse(body) as { key?: unknown }).key));
        } catch {
          return json(400, { error: 'bad body' });
        }
      }
      if (req.method === 'GET' && u.pathname.startsWith('/raw/')) {
        const v = values.get(decodeURIComponent(u.pathname.slice('/raw/'.length)));
        if (v === undefined) return json(404, { error: 'not found' });
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end(typeof v === 'string' ? v : JSON.stringify(v));
      }
      if (u.pathname === '/slow') return void setTimeout(() => json(200, { data: 'late' }), 2000).unref();
      if (u.pathname === '/throttled') {
        res.writeHead(429, api.retryAfter === undefined ? {} : { 'retry-after': api.retryAfter });
        return void res.end();
      }
      if (u.pathname === '/boom') return json(500, { error: BOOM_CANARY });
      json(404, { error: 'no route' });
    });
  };
  const server = opts.tls ? https.createServer({ cert: readFileSync(opts.tls.certPath), key: readFileSync(opts.tls.keyPath) }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.port = (server.address() as AddressInfo).port;
  api.url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${api.port}`;
  api.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return api;
}
