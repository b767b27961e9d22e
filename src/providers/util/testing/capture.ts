/**
 * A loopback HTTP server that records every request it gets (method, path,
 * headers, body) and answers with what the test tells it to. It plays the
 * "server the tenant chose" in the credential-policy tests: what it records
 * is exactly what a hostile store would have received.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CapturedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CaptureServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly requests: CapturedRequest[];
  stop(): Promise<void>;
}

export async function startCaptureServer(answer: (req: CapturedRequest) => { status: number; json: unknown }): Promise<CaptureServer> {
  const requests: CapturedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const captured = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(captured);
      const { status, json } = answer(captured);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
