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
import { TemplateError } from '../../template/index.ts';
import { parseTemplates, renderTemplates, type JobRunner, type RenderJob, type RenderResult } from '../../sandbox/index.ts';
import { parse as parseYaml } from 'yaml';
import { HushError, InternalError, InvalidDataError, InvalidSpecError, describeError } from '../../util/errors.ts';
import type { ExternalSecretObject, ExternalSecretSpec, TemplateFrom, TemplateSpec } from './spec.ts';

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

/** A rendered template's failure, or its bytes. */
function rendered(r: RenderResult, field: string): Buffer {
  if ('error' in r) throw templateError(field, r.error);
  return Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
}

/** KeysAndValues and literal templates render to a YAML map of keys to values. */
function asMap(out: Buffer, field: string): Map<string, string> {
  let parsed: unknown;
  try {
    // failsafe: every scalar stays the text it was written as ("0123" stays "0123"), as Go's
    // yaml.Unmarshal into map[string]string does.
    parsed = parseYaml(out.toString('utf8'), { schema: 'failsafe' });
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

/**
 * Renders every template of the ExternalSecret. All of them go to the sandbox
 * (sandbox/index.ts: a worker, off the event loop) as one batch: one trip per
 * ExternalSecret, not one per key. `runner` is the in-process runner for `hush render`.
 */
export async function renderTarget(es: ExternalSecretObject, providerData: Map<string, Uint8Array>, readSource: TemplateSourceReader, runner?: JobRunner): Promise<RenderedTarget> {
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

  // First every template text (sources are read from the cluster), in ESO's order; then one
  // render of them all; then the results are applied in the same order, so later still wins.
  const jobs: RenderJob[] = [];
  const apply: ((out: Buffer) => void)[] = [];
  const fields: string[] = [];
  const add = (text: string, name: string, field: string, use: (out: Buffer) => void) => {
    jobs.push({ text, data: context, name });
    fields.push(field);
    apply.push(use);
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
          add(text, item.key, at, (out) => {
            for (const [k, v] of asMap(out, at)) put(sink, k, v);
          });
        } else {
          add(text, item.key, at, (out) => put(sink, item.key, out));
        }
      }
    }
    if (tf.literal !== undefined) {
      add(tf.literal, `literal-${i}`, `${field}.literal`, (out) => {
        for (const [k, v] of asMap(out, `${field}.literal`)) put(sink, k, v);
      });
    }
  }
  for (const [key, text] of Object.entries(tpl.data ?? {})) add(text, key, `${base}.data[${key}]`, (out) => data.set(key, new Uint8Array(out)));
  for (const [key, text] of Object.entries(tpl.metadata?.labels ?? {})) add(text, key, `${base}.metadata.labels[${key}]`, (out) => (labels[key] = out.toString()));
  for (const [key, text] of Object.entries(tpl.metadata?.annotations ?? {})) add(text, key, `${base}.metadata.annotations[${key}]`, (out) => (annotations[key] = out.toString()));

  let results: RenderResult[];
  try {
    results = await renderTemplates(jobs, runner);
  } catch (err) {
    // The batch as a whole was stopped (time or memory limit): it names the limit, not one key.
    throw templateError(base, err);
  }
  results.forEach((r, i) => apply[i]!(rendered(r, fields[i]!)));
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
  }
  return undefined;
}

/**
 * Parses every template written in the manifest (template.data, labels, annotations,
 * templateFrom literals, rewrite transforms), so a typo is reported before any store is read.
 * The texts are the tenant's and parsing a large one takes a while (about a second for a
 * 1 MB template of 150,000 actions), so they are parsed in the sandbox, as one batch.
 */
export async function checkTemplateSyntax(spec: ExternalSecretSpec, runner?: JobRunner): Promise<HushError | undefined> {
  const base = 'spec.target.template';
  const tpl = spec.target?.template;
  const todo: { text: string; name: string; field: string; transform?: boolean }[] = [];
  for (const [i, item] of (spec.dataFrom ?? []).entries()) {
    for (const [j, rw] of (item.rewrite ?? []).entries()) {
      if (rw.transform) todo.push({ text: rw.transform.template, name: 'transform', field: `spec.dataFrom[${i}].rewrite[${j}].transform.template`, transform: true });
    }
  }
  for (const [i, tf] of (tpl?.templateFrom ?? []).entries()) {
    if (tf.literal !== undefined) todo.push({ text: tf.literal, name: `literal-${i}`, field: `${base}.templateFrom[${i}].literal` });
  }
  for (const [k, t] of Object.entries(tpl?.data ?? {})) todo.push({ text: t, name: k, field: `${base}.data[${k}]` });
  for (const [k, t] of Object.entries(tpl?.metadata?.labels ?? {})) todo.push({ text: t, name: k, field: `${base}.metadata.labels[${k}]` });
  for (const [k, t] of Object.entries(tpl?.metadata?.annotations ?? {})) todo.push({ text: t, name: k, field: `${base}.metadata.annotations[${k}]` });
  let errors: (HushError | undefined)[];
  try {
    errors = await parseTemplates(todo.map((t) => ({ text: t.text, name: t.name })), runner);
  } catch (err) {
    return templateError(base, err);
  }
  const i = errors.findIndex((e) => e !== undefined);
  if (i < 0) return undefined;
  const t = todo[i]!;
  // Parse errors are InvalidSpec (terminal): the manifest's template needs a fix.
  return t.transform ? new InvalidSpecError(`${t.field}: ${errors[i]!.message}`) : templateError(t.field, errors[i]);
}
