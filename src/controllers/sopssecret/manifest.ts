/**
 * The decrypted manifest → the content of the Secret to write. Pure.
 *
 * The rules are the API server's for a v1 Secret (what `kubectl apply` of the
 * same file would accept), so a file that works here also works with Flux:
 * `data` values are base64, `stringData` values are strings and win over
 * `data` for the same key, keys match `[-._a-zA-Z0-9]+`. Two rules are
 * Hush's: the Secret lives in the SopsSecret's namespace (a SopsSecret must
 * not write into another namespace), and its name defaults to the
 * SopsSecret's.
 *
 * Messages name fields and keys, never values: a value that is not valid
 * base64 is reported by its key only.
 */
import { dnsSubdomainPattern, secretKeyPattern } from '../../api/v1/common.ts';
import { invalidManifest } from './errors.ts';

export interface SecretContent {
  name: string;
  type: string;
  immutable: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  data: Record<string, Buffer>;
}

const TOP_LEVEL = new Set(['apiVersion', 'kind', 'metadata', 'type', 'immutable', 'data', 'stringData']);
/** Written by kubectl for its own bookkeeping; meaningless on a Secret we create. */
const DROPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);
const nameRe = new RegExp(dnsSubdomainPattern);
const keyRe = new RegExp(secretKeyPattern);
const base64Re = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A word safe to quote in a message: identifiers only, never free text that could be a value. */
function shown(v: unknown): string {
  return typeof v === 'string' && /^[A-Za-z0-9._/-]{1,63}$/.test(v) ? `"${v}"` : '(not shown)';
}

/**
 * apiVersion and kind are shown only when they look like Kubernetes type
 * names; anything else may be a value someone encrypted and is not echoed.
 */
function typeShown(v: unknown, re: RegExp): string {
  return typeof v === 'string' && re.test(v) ? `"${v}"` : '(not shown)';
}
const apiVersionRe = /^([a-z0-9.-]{1,63}\/)?v[0-9]+((alpha|beta)[0-9]+)?$/;
const kindRe = /^[A-Z][A-Za-z0-9]{0,62}$/;

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isObject(v)) return 'a map';
  return `a ${typeof v}`;
}

function stringMap(v: unknown, field: string, subject: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw invalidManifest(`${subject}: ${field} must be a map of strings, not ${kindOf(v)}`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw invalidManifest(`${subject}: ${field}["${k}"] must be a string, not ${kindOf(x)}. Fix: quote it in the manifest before encrypting.`);
    out[k] = x;
  }
  return out;
}

function checkKey(k: string, field: string, subject: string): void {
  if (k.length > 253 || !keyRe.test(k)) {
    throw invalidManifest(`${subject}: ${field} has a key that is not a valid Secret key (${k.length > 253 ? 'longer than 253 characters' : 'allowed: letters, digits, "-", "_", "."'}): ${shown(k)}`);
  }
}

/**
 * Checks the manifest and returns the Secret content. `subject` starts every
 * message (`SopsSecret "ns/name"`); `owner` is the SopsSecret's namespace and name.
 */
export function secretContentFromManifest(manifest: unknown, owner: { namespace: string; name: string }, subject: string): SecretContent {
  const where = `${subject}: the decrypted manifest`;
  if (!isObject(manifest)) throw invalidManifest(`${where} is ${kindOf(manifest)}, not a v1 Secret`);
  if (manifest.apiVersion !== 'v1' || manifest.kind !== 'Secret') {
    throw invalidManifest(`${where} is apiVersion ${typeShown(manifest.apiVersion, apiVersionRe)} kind ${typeShown(manifest.kind, kindRe)}; a SopsSecret holds only a v1 Secret. Fix: encrypt a manifest with "apiVersion: v1" and "kind: Secret".`);
  }
  for (const k of Object.keys(manifest)) {
    if (!TOP_LEVEL.has(k)) throw invalidManifest(`${where} has the field ${shown(k)}, which a v1 Secret does not have`);
  }
  const meta = manifest.metadata ?? {};
  if (!isObject(meta)) throw invalidManifest(`${where} has metadata that is ${kindOf(meta)}, not a map`);

  const ns = meta.namespace;
  if (ns !== undefined && ns !== null && ns !== '' && ns !== owner.namespace) {
    throw invalidManifest(`${where} is for namespace ${shown(ns)}, but the SopsSecret is in "${owner.namespace}"; a SopsSecret writes only into its own namespace. Fix: remove metadata.namespace from the manifest, or create the SopsSecret in that namespace.`);
  }
  const rawName = meta.name;
  let name = owner.name;
  if (rawName !== undefined && rawName !== null && rawName !== '') {
    if (typeof rawName !== 'string' || rawName.length > 253 || !nameRe.test(rawName)) {
      throw invalidManifest(`${where} has metadata.name ${shown(rawName)}, which is not a valid Secret name (lower-case DNS subdomain)`);
    }
    name = rawName;
  }

  const labels = stringMap(meta.labels, 'metadata.labels', where);
  const annotations = stringMap(meta.annotations, 'metadata.annotations', where);
  for (const k of DROPPED_ANNOTATIONS) delete annotations[k];

  let type = 'Opaque';
  if (manifest.type !== undefined && manifest.type !== null && manifest.type !== '') {
    if (typeof manifest.type !== 'string') throw invalidManifest(`${where} has a type that is ${kindOf(manifest.type)}, not a string`);
    type = manifest.type;
  }
  let immutable = false;
  if (manifest.immutable !== undefined && manifest.immutable !== null) {
    if (typeof manifest.immutable !== 'boolean') throw invalidManifest(`${where} has immutable that is ${kindOf(manifest.immutable)}, not true or false`);
    immutable = manifest.immutable;
  }

  const data: Record<string, Buffer> = {};
  if (manifest.data !== undefined && manifest.data !== null) {
    if (!isObject(manifest.data)) throw invalidManifest(`${where} has data that is ${kindOf(manifest.data)}, not a map`);
    for (const [k, v] of Object.entries(manifest.data)) {
      checkKey(k, 'data', where);
      if (v === null || v === '') {
        data[k] = Buffer.alloc(0);
        continue;
      }
      if (typeof v !== 'string') throw invalidManifest(`${where} has data["${k}"] that is ${kindOf(v)}; data values are base64 strings. Fix: quote it, or move it to stringData.`);
      // Go's base64 decoder (the API server's, for []byte) skips line breaks and nothing else.
      const compact = v.replace(/[\r\n]/g, '');
      if (!base64Re.test(compact)) throw invalidManifest(`${where} has data["${k}"] that is not valid base64. Fix: base64-encode the value, or move it to stringData.`);
      data[k] = Buffer.from(compact, 'base64');
    }
  }
  if (manifest.stringData !== undefined && manifest.stringData !== null) {
    if (!isObject(manifest.stringData)) throw invalidManifest(`${where} has stringData that is ${kindOf(manifest.stringData)}, not a map`);
    for (const [k, v] of Object.entries(manifest.stringData)) {
      checkKey(k, 'stringData', where);
      if (v === null) {
        data[k] = Buffer.alloc(0); // a JSON null is the zero value, "", for the API server too
        continue;
      }
      // As the API server: stringData is map[string]string; `port: 5432` is rejected there too.
      if (typeof v !== 'string') throw invalidManifest(`${where} has stringData["${k}"] that is ${kindOf(v)}, not a string. Fix: quote it in the manifest before encrypting.`);
      data[k] = Buffer.from(v, 'utf8');
    }
  }
  checkType(type, data, where);
  return { name, type, immutable, labels, annotations, data };
}

/** Keys the API server requires for each built-in Secret type (one of them, where a list has several). */
const REQUIRED_KEYS: Record<string, string[][]> = {
  'kubernetes.io/tls': [['tls.crt'], ['tls.key']],
  'kubernetes.io/basic-auth': [['username', 'password']],
  'kubernetes.io/ssh-auth': [['ssh-privatekey']],
  'kubernetes.io/dockercfg': [['.dockercfg']],
  'kubernetes.io/dockerconfigjson': [['.dockerconfigjson']],
};

/**
 * Types that would make the API server mint credentials (a ServiceAccount token, a node join
 * token) are refused, as ESO refuses them in templates; the built-in types must carry their keys,
 * so a write is never refused by the API server after we planned it.
 */
function checkType(type: string, data: Record<string, Buffer>, where: string): void {
  if (type === 'kubernetes.io/service-account-token' || type === 'bootstrap.kubernetes.io/token') {
    throw invalidManifest(`${where} has type ${type}, which Hush does not write: the API server would fill it with credentials. Fix: use another type.`);
  }
  for (const oneOf of REQUIRED_KEYS[type] ?? []) {
    if (!oneOf.some((k) => k in data)) {
      throw invalidManifest(`${where} has type ${type} but no ${oneOf.map((k) => `"${k}"`).join(' or ')} key, which that type requires`);
    }
  }
}
