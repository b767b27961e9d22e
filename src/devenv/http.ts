/**
 * A minimal JSON-over-HTTP(S) client for the dev environment: health checks,
 * admin calls to kube-apiserver with a client certificate, and OpenBao's API.
 * node:https rather than fetch because fetch cannot present a client
 * certificate without extra packages.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { TimeoutError } from '../util/errors.ts';

export interface HttpOptions {
  method?: string;
  /** JSON-encoded when not a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** PEM strings for TLS. */
  ca?: string;
  cert?: string;
  key?: string;
  bearerToken?: string;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export function httpCall(url: string, options: HttpOptions = {}): Promise<HttpResponse> {
  const target = new URL(url);
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (options.bearerToken !== undefined) headers.authorization = `Bearer ${options.bearerToken}`;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: options.method ?? 'GET',
        headers,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        // One connection per call: the dev tools make few calls, and a pooled
        // socket would keep the process alive and outlive a component restart.
        agent: false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new TimeoutError(`request to ${target.origin}${target.pathname} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
