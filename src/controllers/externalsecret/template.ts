/**
 * target.template and templateFrom, with ESO's order of precedence (later
 * wins, eso-reference §6):
 *   1. no template: the provider data as it is, and the ExternalSecret's own
 *      labels and annotations; stop
 *   2. the provider data, if mergePolicy is Merge or there is neither
 *      template.data nor templateFrom
 *   3. templateFrom entries in order (ConfigMap/Secret items, literal)
 *   4. template.data (keys literal, values templates)
 *   5. template.metadata labels, then annotations (values templates)
 * Every template sees the provider data as Go's map[string]string. A
 * template that fails leaves nothing half-written: the caller writes only a
 * complete result.
 */
import { parseTemplate, renderTemplateBytes, TemplateError } from '../../template/index.ts';
import { parse as parseYaml } from 'yaml';
import { HushError, InternalError, InvalidDataError, InvalidSpecError, describeError } from '../../util/errors.ts';
import type { ExternalSecretObject, TemplateFrom, TemplateSpec } from './spec.ts';

export interface RenderedTarget {
  data: Map<string, Uint8Array>;
  /** Set when a template gave the Secret a type. */
  type?: string;
  /** With a template: the labels/annotations it defines (the ES's own are not copied then). */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  templated: boolean;
}

/** Reads a template text from a ConfigMap or Secret in the ExternalSecret's namespace. */
export type TemplateSourceReader = (kind: 'ConfigMap' | 'Secret', name: string, key: string) => Promise<string>;

/**
 * A template's failure as the field it came from plus Go's own message (template name, line,
 * column). The engine never puts a secret-derived value into that message: a function that
 * fails on one has its own text withheld (src/template/marks.ts, docs/security.md).
 */
function templateError(field: string, err: unknown): HushError {
  if (err instanceof TemplateError) return err.withMessage(`${field}: ${err.message}`);
  return err instanceof HushError ? err.withContext(field) : new InternalError(`${field}: ${describeError(err)}`, { cause: err });
}

function render(text: string, context: Record<string, Uint8Array>, name: string, field: string): Buffer {
  try {
    return renderTemplateBytes(text, context, { name });
  } catch (err) {
    throw templateError(field, err);
  }
}

/** KeysAndValues and literal templates render to a YAML map of keys to values. */
function renderMap(text: string, context: Record<string, Uint8Array>, name: string, field: string): Map<string, string> {
  const out = render(text, context, name, field).toString('utf8');
  let parsed: unknown;
  try {
    // failsafe: every scalar stays the text it was written as ("0123" stays "0123"), as Go's
    // yaml.Unmarshal into map[string]string does.
    parsed = parseYaml(out, { schema: 'failsafe' });
  } catch {
    // The rendered text may hold secret values: say where, never what. InvalidData, so retried: it depends on store data.
    throw new InvalidDataError(`${field}: the rendered template is not a YAML map of keys to values`);
  }
  if (parsed === null || parsed === undefined) return new Map();
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidDataError(`${field}: the rendered template must be a YAML map of keys to values`);
  const map = new Map<string, string>();
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    // With the failsafe schema every scalar is a string; nested maps and lists become JSON.
    map.set(k, typeof v === 'string' ? v : v == null ? '' : JSON.stringify(v));
  }
  return map;
}

type Sink = 'Data' | 'Labels' | 'Annotations';

function sinkOf(tf: TemplateFrom, field: string): Sink {
  const t = tf.target ?? 'Data';
  if (t === 'Data' || t === 'Labels' || t === 'Annotations') return t;
  throw new InvalidSpecError(`${field}.target: "${t}" is not a target of a Secret; use Data, Labels or Annotations`);
}

export async function renderTarget(es: ExternalSecretObject, providerData: Map<string, Uint8Array>, readSource: TemplateSourceReader): Promise<RenderedTarget> {
  const tpl: TemplateSpec | undefined = es.spec.target?.template;
  if (!tpl) return { data: providerData, templated: false };
  const base = 'spec.target.template';
  const context = Object.fromEntries(providerData);
  const data = new Map<string, Uint8Array>();
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const hasData = tpl.data !== undefined && Object.keys(tpl.data).length > 0;
  const hasFrom = (tpl.templateFrom ?? []).length > 0;
  if (tpl.mergePolicy === 'Merge' || (!hasData && !hasFrom)) {
    for (const [k, v] of providerData) data.set(k, v);
  }
  const put = (sink: Sink, key: string, value: Buffer | string) => {
    if (sink === 'Data') data.set(key, typeof value === 'string' ? new Uint8Array(Buffer.from(value)) : new Uint8Array(value));
    else (sink === 'Labels' ? labels : annotations)[key] = value.toString();
  };

  for (const [i, tf] of (tpl.templateFrom ?? []).entries()) {
    const field = `${base}.templateFrom[${i}]`;
    const sink = sinkOf(tf, field);
    // ESO's order inside one entry: configMap, then secret, then literal.
    for (const kind of ['configMap', 'secret'] as const) {
      const ref = tf[kind];
      if (!ref) continue;
      for (const [j, item] of ref.items.entries()) {
        const at = `${field}.${kind}.items[${j}]`;
        const text = await readSource(kind === 'configMap' ? 'ConfigMap' : 'Secret', ref.name, item.key);
        if (item.templateAs === 'KeysAndValues') {
          for (const [k, v] of renderMap(text, context, item.key, at)) put(sink, k, v);
        } else {
          put(sink, item.key, render(text, context, item.key, at));
        }
      }
    }
    if (tf.literal !== undefined) {
      for (const [k, v] of renderMap(tf.literal, context, `literal-${i}`, `${field}.literal`)) put(sink, k, v);
    }
  }
  for (const [key, text] of Object.entries(tpl.data ?? {})) {
    data.set(key, new Uint8Array(render(text, context, key, `${base}.data[${key}]`)));
  }
  for (const [key, text] of Object.entries(tpl.metadata?.labels ?? {})) labels[key] = render(text, context, key, `${base}.metadata.labels[${key}]`).toString();
  for (const [key, text] of Object.entries(tpl.metadata?.annotations ?? {})) annotations[key] = render(text, context, key, `${base}.metadata.annotations[${key}]`).toString();
  return { data, ...(tpl.type ? { type: tpl.type } : {}), labels, annotations, templated: true };
}

/** ESO's guards against templates that would mint credentials through the API server. */
export function validateTemplate(tpl: TemplateSpec | undefined): HushError | undefined {
  if (!tpl) return undefined;
  const base = 'spec.target.template';
  if (tpl.engineVersion !== undefined && tpl.engineVersion !== 'v2') {
    return new InvalidSpecError(`${base}.engineVersion: only v2 is supported (got "${tpl.engineVersion}"); v1 templates must be rewritten for v2`);
  }
  if (tpl.type === 'bootstrap.kubernetes.io/token') {
    return new InvalidSpecError(`${base}.type: bootstrap token Secrets cannot be templated: they would let a store mint cluster join credentials`);
  }
  if (tpl.type === 'kubernetes.io/service-account-token') {
    if (tpl.metadata?.annotations?.['kubernetes.io/service-account.name'] !== undefined) {
      return new InvalidSpecError(`${base}.metadata.annotations: the kubernetes.io/service-account.name annotation is not allowed on a templated service-account-token Secret: it would make the API server fill in a token for that ServiceAccount`);
    }
    const i = (tpl.templateFrom ?? []).findIndex((t) => t.target === 'Annotations');
    if (i >= 0) return new InvalidSpecError(`${base}.templateFrom[${i}].target: Annotations is not allowed for a service-account-token Secret`);
  }
  for (const [i, tf] of (tpl.templateFrom ?? []).entries()) {
    const kinds = [tf.configMap, tf.secret, tf.literal].filter((x) => x !== undefined).length;
    if (kinds === 0) return new InvalidSpecError(`${base}.templateFrom[${i}]: set configMap, secret or literal`);
    if (tf.literal !== undefined) {
      const bad = parseProblem(tf.literal, `literal-${i}`, `${base}.templateFrom[${i}].literal`);
      if (bad) return bad;
    }
  }
  // Templates written in the manifest are parsed up front, so a typo is reported before any store is read.
  const inline: [string, string, string][] = [
    ...Object.entries(tpl.data ?? {}).map(([k, t]): [string, string, string] => [t, k, `${base}.data[${k}]`]),
    ...Object.entries(tpl.metadata?.labels ?? {}).map(([k, t]): [string, string, string] => [t, k, `${base}.metadata.labels[${k}]`]),
    ...Object.entries(tpl.metadata?.annotations ?? {}).map(([k, t]): [string, string, string] => [t, k, `${base}.metadata.annotations[${k}]`]),
  ];
  for (const [text, name, field] of inline) {
    const bad = parseProblem(text, name, field);
    if (bad) return bad;
  }
  return undefined;
}

function parseProblem(text: string, name: string, field: string): HushError | undefined {
  try {
    parseTemplate(text, { name });
    return undefined;
  } catch (err) {
    // Parse errors are InvalidSpec (terminal): the manifest's template needs a fix.
    return templateError(field, err);
  }
}
