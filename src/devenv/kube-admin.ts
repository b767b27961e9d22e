/**
 * Raw calls to the dev cluster's API: as the admin (client certificate) by
 * default, or as whoever a bearer token belongs to. For setting up the dev
 * environment and for tests; the controller has its own client in src/kube.
 */
import { readFileSync } from 'node:fs';
import type { DevEnv } from './dev-env.ts';
import { InvalidDataError, errorForCode, type ErrorCode } from '../util/errors.ts';
import { httpCall, type HttpResponse } from './http.ts';

export interface KubeCallOptions {
  body?: unknown;
  /** Call as this token's identity instead of the admin. */
  bearerToken?: string;
  contentType?: string;
  timeoutMs?: number;
}

export function kubeCall(env: DevEnv, method: string, path: string, options: KubeCallOptions = {}): Promise<HttpResponse> {
  const asAdmin = options.bearerToken === undefined;
  return httpCall(`${env.apiserverUrl}${path}`, {
    method,
    body: options.body,
    headers: options.contentType ? { 'content-type': options.contentType } : {},
    ca: readFileSync(env.caFile, 'utf8'),
    cert: asAdmin ? readFileSync(env.adminCertFile, 'utf8') : undefined,
    key: asAdmin ? readFileSync(env.adminKeyFile, 'utf8') : undefined,
    bearerToken: options.bearerToken,
    timeoutMs: options.timeoutMs,
  });
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'AuthFailed';
  if (status === 403) return 'AccessDenied';
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 429) return 'Throttled';
  if (status === 400 || status === 422) return 'InvalidSpec';
  return 'Unavailable';
}

/** Like kubeCall, but fails unless the status is 2xx (or one listed in `accept`). */
export async function kubeExpect(
  env: DevEnv,
  method: string,
  path: string,
  options: KubeCallOptions & { accept?: number[] } = {},
): Promise<HttpResponse> {
  const res = await kubeCall(env, method, path, options);
  if ((res.status < 200 || res.status >= 300) && !options.accept?.includes(res.status)) {
    const message = (res.json as { message?: unknown } | undefined)?.message;
    throw errorForCode(codeForStatus(res.status), `${method} ${path}: HTTP ${res.status} ${typeof message === 'string' ? message : res.text.slice(0, 200)}`);
  }
  return res;
}

/**
 * A short-lived token for a service account through the TokenRequest API,
 * like the kubelet gets for a projected volume.
 */
export async function requestServiceAccountToken(
  env: DevEnv,
  namespace: string,
  serviceAccount: string,
  options: { audiences?: string[]; expirationSeconds?: number } = {},
): Promise<string> {
  const res = await kubeExpect(env, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: options.audiences ?? null, expirationSeconds: options.expirationSeconds ?? 3600 },
    },
  });
  const token = (res.json as { status?: { token?: unknown } }).status?.token;
  if (typeof token !== 'string') throw new InvalidDataError('TokenRequest returned no token');
  return token;
}
