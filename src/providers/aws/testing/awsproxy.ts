/**
 * A recording, fault-injecting HTTP proxy in front of moto, for tests only.
 * Every request is forwarded to moto unchanged, so the SDK talks to a real
 * AWS emulator; the proxy notes what was asked (service, action, the access
 * key that signed it, the form parameters of STS calls) and can answer chosen
 * calls itself with an AWS error (ThrottlingException, AccessDenied, 500) or
 * hold them (a store that times out) — things moto cannot be made to do.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  /** "secretsmanager", "ssm", "sts". */
  service: string;
  /** "GetSecretValue", "AssumeRole", ... */
  action: string;
  /** The access key ID in the request's SigV4 Authorization header, if signed. */
  accessKeyId: string | undefined;
  /** STS (query protocol): the form parameters. JSON services: the parsed body. */
  params: Record<string, unknown>;
}

export interface Fault {
  /** Which calls: an action name ("GetParameter") or a predicate. */
  match: string | ((c: RecordedCall) => boolean);
  /** How many matching calls to fail (Infinity for all). */
  times: number;
  /** AWS error code and HTTP status; `hang` holds the request without answering. */
  code?: string;
  status?: number;
  message?: string;
  /** Extra response headers of the injected error (Retry-After). */
  headers?: Record<string, string>;
  hang?: boolean;
}

export interface AwsProxy {
  endpoint: string;
  calls: RecordedCall[];
  count(action: string): number;
  fail(fault: Fault): void;
  clearFaults(): void;
  stop(): Promise<void>;
}

export async function startAwsProxy(target: string): Promise<AwsProxy> {
  const calls: RecordedCall[] = [];
  let faults: Fault[] = [];
  const held = new Set<http.ServerResponse>();
  const upstream = new URL(target);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const call = describe(req, body);
      calls.push(call);
      const fault = faults.find((f) => f.times > 0 && (typeof f.match === 'string' ? f.match === call.action : f.match(call)));
      if (fault) {
        fault.times--;
        if (fault.hang) {
          held.add(res);
          res.on('close', () => held.delete(res));
          return;
        }
        sendError(res, call, fault);
        return;
      }
      const up = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => {
        res.writeHead(502).end();
      });
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    count: (action) => calls.filter((c) => c.action === action).length,
    fail: (f) => void faults.push({ ...f }),
    clearFaults: () => {
      faults = [];
    },
    async stop() {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function describe(req: http.IncomingMessage, body: Buffer): RecordedCall {
  const auth = req.headers.authorization ?? '';
  const cred = /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth);
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    // JSON protocol: "secretsmanager.GetSecretValue", "AmazonSSM.GetParameter".
    const [prefix, action] = target.split('.');
    let params: Record<string, unknown> = {};
    try {
      params = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      // not JSON
    }
    return { service: prefix === 'AmazonSSM' ? 'ssm' : 'secretsmanager', action: action ?? '', accessKeyId: cred?.[1], params };
  }
  const form = new URLSearchParams(body.toString('utf8'));
  return { service: cred?.[2] ?? 'sts', action: form.get('Action') ?? '', accessKeyId: cred?.[1], params: Object.fromEntries(form) };
}

function sendError(res: http.ServerResponse, call: RecordedCall, f: Fault): void {
  const code = f.code ?? 'InternalFailure';
  const message = f.message ?? `${code} injected by the test proxy`;
  const status = f.status ?? (code.includes('Throttl') ? 400 : code.startsWith('Internal') ? 500 : 400);
  if (call.service === 'sts') {
    const xml = `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>`;
    res.writeHead(status, { ...f.headers, 'content-type': 'text/xml' }).end(xml);
    return;
  }
  res.writeHead(status, { ...f.headers, 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code }).end(JSON.stringify({ __type: code, message }));
}
