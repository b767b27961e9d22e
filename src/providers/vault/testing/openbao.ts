/**
 * Starts a real OpenBao dev server for tests: in memory, unsealed, with a
 * known root token, on free loopback ports. Besides the plain HTTP listener it
 * can open two TLS listeners with a test CA: one that merely asks for client
 * certificates (cert auth) and one that requires them (mTLS).
 *
 * Until the shared dev environment (src/devenv) provides OpenBao, the Vault
 * provider's tests use this.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestPki } from '../../util/testing/pki.ts';
import { freePorts } from '../../../devenv/ports.ts';
import { superviseChild } from '../../../devenv/testing/children.ts';
import { requireTool } from '../../../testing/tools.ts';

export const ROOT_TOKEN = 'hush-test-root';

/** `false`, or why the OpenBao suites skip (a failure under CI=true). */
export function baoSkipReason(): string | false {
  return requireTool('bao (OpenBao)', 'scripts/install-openbao.sh (scripts/setup.sh runs it)', baoBinary() !== undefined);
}

export function baoBinary(): string | undefined {
  const cache = process.env.HUSH_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hush');
  const candidates = [process.env.HUSH_BAO, join(cache, 'venv', 'openbao-2.7.2', 'bin', 'bao')];
  return candidates.find((c): c is string => c !== undefined && existsSync(c));
}

export interface OpenBao {
  /** http://127.0.0.1:<port> */
  addr: string;
  /** https listener that requests (but does not require) client certificates. */
  tlsAddr?: string;
  /** https listener that requires a client certificate signed by the test CA. */
  mtlsAddr?: string;
  rootToken: string;
  /** Calls the HTTP API as root (or with `token`); returns status and parsed body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test helper: callers read Vault JSON freely
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

function listen(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/** A free port whose successor is free too: the dev listener puts its cluster port at port + 1. */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const a = await listen(0);
    if (!a) continue;
    const port = (a.address() as net.AddressInfo).port;
    const b = await listen(port + 1);
    await new Promise((r) => a.close(r));
    if (b) {
      await new Promise((r) => b.close(r));
      return port;
    }
  }
  throw new Error('no free port pair');
}

/** `hcl`: more server configuration (audit devices, say), added to the -config file. */
export async function startOpenBao(opts: { pki?: TestPki; hcl?: string } = {}): Promise<OpenBao> {
  const bin = baoBinary();
  if (!bin) throw new Error('bao binary not found: run scripts/setup.sh');
  const dir = mkdtempSync(join(tmpdir(), 'hush-bao-'));
  const p1 = await freePortPair();
  const [p2, c2, p3, c3] = await freePorts(4);
  const args = ['server', '-dev', `-dev-root-token-id=${ROOT_TOKEN}`, `-dev-listen-address=127.0.0.1:${p1}`, '-dev-no-store-token'];
  const addr = `http://127.0.0.1:${p1}`;
  let tlsAddr: string | undefined;
  let mtlsAddr: string | undefined;
  let hcl = '';
  if (opts.pki) {
    const tls = `tls_cert_file = "${opts.pki.serverCertPath}"\n  tls_key_file = "${opts.pki.serverKeyPath}"\n  tls_client_ca_file = "${opts.pki.caPath}"`;
    hcl += `listener "tcp" {\n  address = "127.0.0.1:${p2}"\n  cluster_address = "127.0.0.1:${c2}"\n  ${tls}\n}\n`;
    hcl += `listener "tcp" {\n  address = "127.0.0.1:${p3}"\n  cluster_address = "127.0.0.1:${c3}"\n  ${tls}\n  tls_require_and_verify_client_cert = true\n}\n`;
    tlsAddr = `https://127.0.0.1:${p2}`;
    mtlsAddr = `https://127.0.0.1:${p3}`;
  }
  if (opts.hcl) hcl += opts.hcl;
  if (hcl) {
    writeFileSync(join(dir, 'extra.hcl'), hcl);
    args.push(`-config=${join(dir, 'extra.hcl')}`);
  }
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir } });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const supervised = superviseChild(child);
  const stop = async (): Promise<void> => {
    await supervised.stop();
    rmSync(dir, { recursive: true, force: true });
  };

  const api: OpenBao['api'] = async (method, path, body, token = ROOT_TOKEN) => {
    const res = await fetch(`${addr}/v1/${path}`, {
      method,
      headers: { 'x-vault-token': token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`bao exited early: ${output.slice(-2000)}`);
    }
    try {
      const r = await fetch(`${addr}/v1/sys/health`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`bao did not become healthy: ${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { addr, ...(tlsAddr ? { tlsAddr } : {}), ...(mtlsAddr ? { mtlsAddr } : {}), rootToken: ROOT_TOKEN, api, stop };
}
