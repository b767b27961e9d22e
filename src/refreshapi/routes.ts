/**
 * The refresh API's paths, parsed into what they ask for. Anything else is not a route:
 * the server answers 404 without looking at the token, so an unknown path costs no review.
 */
import { storeKey } from '../controllers/indexes.ts';

export type Route =
  | { kind: 'externalsecret'; namespace: string; name: string }
  | { kind: 'namespace'; namespace: string }
  | { kind: 'store'; storeKind: 'SecretStore' | 'ClusterSecretStore'; namespace: string | undefined; name: string; remoteKey: string };

/** Longest remote key accepted (store keys are paths or names, far shorter in practice). */
export const MAX_REMOTE_KEY_LENGTH = 2048;

// Object names as the API server accepts them: namespaces are DNS labels, the others DNS
// subdomains. Checking here keeps odd bytes out of the SubjectAccessReview and the log.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export type ParseResult = { ok: true; route: Route } | { ok: false; status: 400 | 404; message: string };

export function parseRoute(rawUrl: string): ParseResult {
  // The raw path, not a URL-normalised one: "a/externalsecrets/../../b" must not turn into
  // another route. Segments are not decoded either; names never hold an escaped byte.
  const q = rawUrl.indexOf('?');
  const pathname = q < 0 ? rawUrl : rawUrl.slice(0, q);
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
  } catch {
    return bad('the query string cannot be parsed');
  }
  const parts = pathname.split('/');
  // ['', 'v1', 'refresh', ...]
  if (parts[0] !== '' || parts[1] !== 'v1' || parts[2] !== 'refresh') return notFound();
  const rest = parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length === 2) {
    const ns = rest[1]!;
    if (!DNS_LABEL.test(ns)) return bad('the namespace is not a valid namespace name');
    return { ok: true, route: { kind: 'namespace', namespace: ns } };
  }
  if (rest[0] === 'namespaces' && rest.length === 4 && rest[2] === 'externalsecrets') {
    const [, ns, , name] = rest as [string, string, string, string];
    if (!DNS_LABEL.test(ns)) return bad('the namespace is not a valid namespace name');
    if (!DNS_SUBDOMAIN.test(name)) return bad('the ExternalSecret name is not a valid object name');
    return { ok: true, route: { kind: 'externalsecret', namespace: ns, name } };
  }
  const storeRoute = (storeKind: 'SecretStore' | 'ClusterSecretStore', namespace: string | undefined, name: string): ParseResult => {
    if (namespace !== undefined && !DNS_LABEL.test(namespace)) return bad('the namespace is not a valid namespace name');
    if (!DNS_SUBDOMAIN.test(name)) return bad(`the ${storeKind} name is not a valid object name`);
    const keys = params.getAll('key');
    if (keys.length !== 1 || keys[0] === '') return bad('give the remote key once, as ?key=<remote key>');
    const remoteKey = keys[0]!;
    if (remoteKey.length > MAX_REMOTE_KEY_LENGTH) return bad(`the remote key is longer than ${MAX_REMOTE_KEY_LENGTH} characters`);
    return { ok: true, route: { kind: 'store', storeKind, namespace, name, remoteKey } };
  };
  if (rest[0] === 'secretstores' && rest.length === 3) return storeRoute('SecretStore', rest[1], rest[2]!);
  if (rest[0] === 'clustersecretstores' && rest.length === 2) return storeRoute('ClusterSecretStore', undefined, rest[1]!);
  return notFound();
}

/** The read engine's key of a store: `SecretStore/ns/name` or `ClusterSecretStore//name`. */
export function storeKeyOf(r: Extract<Route, { kind: 'store' }>): string {
  return storeKey(r.storeKind, r.namespace, r.name);
}

function bad(message: string): ParseResult {
  return { ok: false, status: 400, message };
}

function notFound(): ParseResult {
  return { ok: false, status: 404, message: 'no such refresh endpoint' };
}
