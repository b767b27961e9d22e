/**
 * HashiCorp Vault / OpenBao transit key source: the data key is sent base64
 * encoded to `<engine>/encrypt/<key>` and the returned `vault:v1:…` ciphertext
 * is stored; decryption posts it to `<engine>/decrypt/<key>`. The token comes
 * from the context, VAULT_TOKEN, or ~/.vault-token, as for sops.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpClient, type HttpResponse } from '../../providers/util/http.ts';
import { AccessDeniedError, AuthError, HushError, InvalidConfigError, InvalidDataError, NotFoundError, UnavailableError } from '../../util/errors.ts';
import type { VaultKey } from '../metadata.ts';
import { keyServiceEgress, type KeyContext } from './types.ts';

export interface VaultKeySpec {
  vaultAddress: string;
  enginePath: string;
  keyName: string;
}

/** Parses `https://vault:8200/v1/transit/keys/name` (sops' hc_vault_transit_uri). */
export function parseVaultUri(uri: string): VaultKeySpec {
  let u: URL;
  try {
    u = new URL(uri.trim());
  } catch {
    throw new InvalidConfigError(`${JSON.stringify(uri)} is not a Vault transit URI (e.g. https://vault.example.com:8200/v1/transit/keys/keyName)`);
  }
  const parts = u.pathname.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length < 4 || !/^v\d+$/.test(parts[0]!)) {
    throw new InvalidConfigError(`Vault transit URI ${JSON.stringify(uri)} is not formatted like https://vault.example.com:8200/v1/transit/keys/keyName`);
  }
  if (parts.length > 4 && !/^v\d+$/.test(parts[0]!)) throw new InvalidConfigError('Vault behind a prefixed URL is not supported');
  return { vaultAddress: `${u.protocol}//${u.host}`, enginePath: parts.slice(1, -2).join('/'), keyName: parts[parts.length - 1]! };
}

async function token(ctx: KeyContext): Promise<string> {
  if (ctx.vaultToken) return ctx.vaultToken;
  if (ctx.env.VAULT_TOKEN) return ctx.env.VAULT_TOKEN;
  if (ctx.home) {
    try {
      return (await readFile(join(ctx.home, '.vault-token'), 'utf8')).trim();
    } catch {
      // fall through
    }
  }
  throw new AuthError('no Vault token: set VAULT_TOKEN or write ~/.vault-token');
}

async function call(spec: VaultKeySpec, op: 'encrypt' | 'decrypt', body: Record<string, string>, ctx: KeyContext): Promise<Record<string, unknown>> {
  const url = `${spec.vaultAddress}/v1/${spec.enginePath}/${op}/${spec.keyName}`;
  const headers: Record<string, string> = { 'X-Vault-Token': await token(ctx), 'Content-Type': 'application/json' };
  if (ctx.env.VAULT_NAMESPACE) headers['X-Vault-Namespace'] = ctx.env.VAULT_NAMESPACE;
  // Through HttpClient, not global fetch: the address comes from the file, so the egress guard and
  // the response size cap apply (a hostile "Vault" could otherwise stream without end).
  const client = new HttpClient(spec.vaultAddress, { timeoutMs: ctx.timeoutMs ?? 15_000, egress: keyServiceEgress(ctx), maxResponseBytes: ctx.maxResponseBytes });
  let res: HttpResponse;
  try {
    res = await client.request({ method: 'POST', path: `/v1/${spec.enginePath}/${op}/${spec.keyName}`, headers, body: JSON.stringify(body) });
  } catch (err) {
    if (err instanceof HushError) throw err.withContext(`Vault transit ${op} at ${url}`);
    throw new UnavailableError(`Vault transit ${op} at ${url} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    client.close();
  }
  const text = res.body.toString('utf8');
  const ok = res.status >= 200 && res.status < 300;
  let json: { data?: Record<string, unknown>; errors?: string[] } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // non-JSON error page
  }
  if (!ok) {
    const why = (json.errors ?? []).join('; ').slice(0, 300) || `HTTP ${res.status}`;
    const msg = `Vault transit ${op} with key ${spec.keyName} at ${spec.vaultAddress} failed: ${why}`;
    if (res.status === 403) throw new AccessDeniedError(msg);
    if (res.status === 401) throw new AuthError(msg);
    if (res.status === 404) throw new NotFoundError(msg);
    if (res.status === 400) throw new InvalidDataError(msg);
    throw new UnavailableError(msg);
  }
  return json.data ?? {};
}

export async function wrapVault(spec: VaultKeySpec, dataKey: Uint8Array, ctx: KeyContext): Promise<VaultKey> {
  const data = await call(spec, 'encrypt', { plaintext: Buffer.from(dataKey).toString('base64') }, ctx);
  if (typeof data.ciphertext !== 'string') throw new UnavailableError('Vault transit returned no ciphertext');
  return { type: 'hc_vault', ...spec, createdAt: '', enc: data.ciphertext };
}

export async function unwrapVault(key: VaultKey, ctx: KeyContext): Promise<Buffer> {
  const data = await call(key, 'decrypt', { ciphertext: key.enc }, ctx);
  if (typeof data.plaintext !== 'string') throw new UnavailableError('Vault transit returned no plaintext');
  return Buffer.from(data.plaintext, 'base64');
}
