/**
 * The data ESO's webhook templates see, and their rendering:
 *
 *   .remoteRef.key / .version / .property / .namespace
 *   .<secrets[i].name>.<key of that Secret>
 *
 * In the URL the remoteRef values are query-escaped (Go's url.QueryEscape;
 * the namespace is not); the body, headers and result.jsonPath get them raw.
 * Templates are Go text/template with ESO's functions, and a missing key
 * prints `<no value>` as in ESO (which does not set missingkey=error here).
 *
 * Hush reads Secret keys one at a time (ProviderKubeAccess), so it reads the
 * keys the templates name: `.<name>.<key>` and `index .<name> "<key>"`,
 * plus secretRef.key when set. A key reached only through `with`, `range`
 * or a variable is not seen; the template then prints `<no value>`.
 */
import { asHushError, InvalidConfigError, NotFoundError } from '../../util/errors.ts';
import { renderTemplates, type JobRunner, type RenderResult } from '../../sandbox/index.ts';
import { queryEscape } from '../../template/builtins.ts';
import type { ProviderKubeAccess, RemoteRef } from '../types.ts';
import { readSecretString, type RefScope } from '../util/refs.ts';
import { redactStoreText } from '../../util/redact.ts';
import { compileGoRegexp, quoteMeta } from '../../util/goregexp.ts';
import type { WebhookSecretRef } from './spec.ts';

export type TemplateData = Record<string, Record<string, string>>;

/** The keys of each named secret the templates refer to. */
export function referencedKeys(templates: string[], names: string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  const text = templates.join('\n');
  for (const n of names) {
    const keys = out.get(n) as Set<string>;
    // The name and the templates are the tenant's: the patterns run on the linear-time engine.
    const esc = quoteMeta(n);
    for (const m of compileGoRegexp(`(?:^|[^\\w.])\\.${esc}\\.([A-Za-z_][A-Za-z0-9_]*)`).findAll(text)) keys.add(m.groups[1]!);
    for (const m of compileGoRegexp(`index\\s+\\.${esc}\\s+"((?:[^"\\\\]|\\\\.)*)"`).findAll(text)) keys.add(JSON.parse(`"${m.groups[1]!}"`) as string);
    for (const m of compileGoRegexp(`index\\s+\\.${esc}\\s+\`([^\`]*)\``).findAll(text)) keys.add(m.groups[1]!);
  }
  return out;
}

/** Reads the named secrets' keys; ESO's scoping: a ClusterSecretStore ref must name its namespace. */
export async function readTemplateSecrets(
  kube: ProviderKubeAccess,
  scope: RefScope,
  secrets: WebhookSecretRef[],
  keys: Map<string, Set<string>>,
  remember: (value: string) => void,
): Promise<TemplateData> {
  const out: TemplateData = {};
  for (const s of secrets) {
    const data: Record<string, string> = (out[s.name] ??= {});
    if (scope.storeKind === 'ClusterSecretStore' && s.secretRef.namespace === undefined) {
      throw new InvalidConfigError(`webhook: secrets[${s.name}]: no namespace on ClusterScoped webhook secret ${s.secretRef.name}`);
    }
    const wanted = new Set(keys.get(s.name) ?? []);
    if (s.secretRef.key) wanted.add(s.secretRef.key);
    for (const key of wanted) {
      let value: string;
      try {
        // A SecretStore reads from its own namespace whatever the ref says, as ESO does.
        const ref = { name: s.secretRef.name, key, namespace: scope.storeKind === 'SecretStore' ? undefined : s.secretRef.namespace };
        value = await readSecretString(kube, scope, ref, `webhook secrets[${s.name}]`);
      } catch (err) {
        // A key only a template mentions may be absent: the template prints <no value>, as ESO's would.
        if (err instanceof NotFoundError && key !== s.secretRef.key && /has no key/.test(err.message)) continue;
        throw err;
      }
      remember(value);
      data[key] = value;
    }
  }
  return out;
}

/** The template data for one read; `escaped` for the URL. */
export function templateData(ref: RemoteRef | undefined, namespace: string | undefined, secrets: TemplateData, escaped: boolean): TemplateData {
  const data: TemplateData = {};
  if (ref) {
    const e = (s: string): string => (escaped ? queryEscape(Buffer.from(s, 'utf8').toString('latin1')) : s);
    data.remoteRef = { key: e(ref.key), version: e(ref.version ?? ''), property: e(ref.property ?? ''), namespace: namespace ?? '' };
  }
  // ESO fills remoteRef first, then the secrets: a secret named "remoteRef" adds to it.
  for (const [name, values] of Object.entries(secrets)) data[name] = { ...(data[name] ?? {}), ...values };
  return data;
}

/** One template of a webhook request: its text, the data it sees, and the field it came from. */
export interface WebhookTemplate {
  text: string;
  data: TemplateData;
  field: string;
}

/**
 * Renders the request's templates as one batch in the sandbox (the store's
 * templates are the tenant's code, so they run off the event loop). Errors
 * name the field and are redacted of every secret value read; the first
 * failing template, in the order given, is the one reported.
 */
export async function renderAll(templates: WebhookTemplate[], secrets: Iterable<string>, runner?: JobRunner): Promise<string[]> {
  const todo = templates.filter((t) => t.text !== '');
  let results: RenderResult[];
  try {
    results = await renderTemplates(todo.map((t) => ({ text: t.text, data: t.data, name: 'webhooktemplate', missingKey: 'default' })), runner);
  } catch (err) {
    // The batch was stopped at a limit of the sandbox (time, memory): keep its class and code.
    throw asHushError(err).withContext('webhook: rendering the request templates');
  }
  const out = new Map<WebhookTemplate, string>();
  todo.forEach((t, i) => {
    const r = results[i]!;
    if ('error' in r) throw new InvalidConfigError(`webhook: failed to parse ${t.field}: ${redactStoreText(r.error.message, secrets)}`);
    out.set(t, Buffer.from(r.bytes).toString('utf8'));
  });
  return templates.map((t) => out.get(t) ?? '');
}
