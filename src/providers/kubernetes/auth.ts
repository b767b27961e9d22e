/**
 * How the kubernetes provider reaches the (possibly remote) cluster: server
 * URL, CA and credentials, from the store spec or from a kubeconfig in a
 * Secret (authRef). ServiceAccount tokens are minted through TokenRequest
 * (1 h, like ESO) and minted again before they expire; a bearer token from a
 * Secret is read again after a 401, in case it was rotated.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { InvalidConfigError, NotSupportedError } from '../../util/errors.ts';
import type { ProviderKubeAccess } from '../types.ts';
import { readSecretString, serviceAccountToken, type RefScope } from '../util/refs.ts';
import { isObj } from '../util/spec.ts';
import { checkClientCert, parsePemCertificates, resolveCa, resolveClientCert } from '../util/tls.ts';
import { ROOT, type KubernetesSpec } from './spec.ts';

const inClusterCaPath = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';
const SA_TOKEN_SECONDS = 3600;

export interface Connection {
  url: string;
  ca: string[] | undefined;
  clientCert: { cert: string; key: string } | undefined;
  /** Returns the bearer token to send (undefined: none); `refresh` forces a new one after a 401. */
  bearer: ((refresh: boolean) => Promise<string | undefined>) | undefined;
  /** Credentials sent, for redaction. */
  secrets: Set<string>;
}

export async function resolveConnection(kube: ProviderKubeAccess, scope: RefScope, spec: KubernetesSpec): Promise<Connection> {
  const secrets = new Set<string>();
  if (spec.authRef) return fromKubeconfig(await readSecretString(kube, scope, spec.authRef, `${ROOT}.authRef`), secrets);

  const url = spec.url ?? kube.clusterServer;
  if (!url) throw new InvalidConfigError(`${ROOT}.server.url: no server URL provided, and the controller's own cluster is not known`);
  let ca = await resolveCa(kube, scope, spec.caBundle, spec.caProvider, `${ROOT}.server`);
  // With no server given, the store talks to the controller's own cluster: trust what the controller trusts.
  if (!ca && spec.url === undefined && kube.clusterCA) ca = parsePemCertificates(kube.clusterCA, 'the controller\'s kubeconfig');
  if (!ca && spec.url === undefined) ca = await inClusterCa();

  const a = spec.auth;
  let bearer: Connection['bearer'];
  let clientCert: Connection['clientCert'];
  if (a?.method === 'token') {
    let cached: string | undefined;
    bearer = async (refresh) => {
      if (cached === undefined || refresh) {
        cached = (await readSecretString(kube, scope, a.bearerToken, `${ROOT}.auth.token.bearerToken`)).trim();
        secrets.add(cached);
      }
      return cached;
    };
  } else if (a?.method === 'serviceAccount') {
    let cached: { token: string; expiresAt: Date } | undefined;
    bearer = async (refresh) => {
      // Mint again once two thirds of the token's life have passed.
      const due = cached && Date.now() > cached.expiresAt.getTime() - (SA_TOKEN_SECONDS * 1000) / 3;
      if (!cached || refresh || due) {
        cached = await serviceAccountToken(kube, scope, a.serviceAccount, `${ROOT}.auth.serviceAccount`, {
          audiences: a.serviceAccount.audiences,
          expirationSeconds: SA_TOKEN_SECONDS,
        });
        secrets.add(cached.token);
      }
      return cached.token;
    };
  } else if (a?.method === 'cert') {
    clientCert = await resolveClientCert(kube, scope, a.clientCert, a.clientKey, `${ROOT}.auth.cert`);
  }
  return { url, ca, clientCert, bearer, secrets };
}

async function inClusterCa(): Promise<string[] | undefined> {
  try {
    return parsePemCertificates(await readFile(inClusterCaPath, 'utf8'), inClusterCaPath);
  } catch {
    return undefined; // not in a pod: the system roots apply
  }
}

/** The current context of a kubeconfig, with inline data only (no files, exec plugins or auth providers). */
function fromKubeconfig(text: string, secrets: Set<string>): Connection {
  const what = `${ROOT}.authRef`;
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    throw new InvalidConfigError(`${what}: the kubeconfig is not valid YAML`);
  }
  if (!isObj(doc)) throw new InvalidConfigError(`${what}: the kubeconfig is not a YAML map`);
  const named = (list: unknown, name: unknown, field: string): Record<string, unknown> => {
    const item = Array.isArray(list) ? (list as unknown[]).find((x) => isObj(x) && x.name === name) : undefined;
    const inner = isObj(item) ? item[field] : undefined;
    if (!isObj(inner)) throw new InvalidConfigError(`${what}: the kubeconfig has no ${field} named ${JSON.stringify(name)}`);
    return inner;
  };
  const contextName = doc['current-context'];
  const context = named(doc.contexts, contextName, 'context');
  const cluster = named(doc.clusters, context.cluster, 'cluster');
  const user = context.user === undefined ? {} : named(doc.users, context.user, 'user');
  const server = cluster.server;
  if (typeof server !== 'string' || server === '') throw new InvalidConfigError(`${what}: the kubeconfig's cluster has no server`);
  const unsupported = [
    ...('certificate-authority' in cluster ? ['certificate-authority'] : []),
    ...['client-certificate', 'client-key', 'tokenFile', 'exec', 'auth-provider'].filter((k) => k in user),
  ];
  if (unsupported.length > 0) {
    throw new NotSupportedError(`${what}: kubeconfig field ${unsupported.join(', ')} is not supported; use the inline *-data fields or token`);
  }
  const b64 = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? Buffer.from(v, 'base64').toString('utf8') : undefined);
  const caPem = b64(cluster['certificate-authority-data']);
  const ca = caPem ? parsePemCertificates(caPem, `${what}: certificate-authority-data`) : undefined;
  const cert = b64(user['client-certificate-data']);
  const key = b64(user['client-key-data']);
  let clientCert: Connection['clientCert'];
  if (cert && key) {
    checkClientCert(cert, key, what);
    clientCert = { cert, key };
  }
  const token = typeof user.token === 'string' && user.token !== '' ? user.token.trim() : undefined;
  if (token) secrets.add(token);
  return { url: server, ca, clientCert, bearer: token ? () => Promise.resolve(token) : undefined, secrets };
}
