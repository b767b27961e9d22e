/**
 * `hush render`: renders an ExternalSecret's target Secret locally, from a
 * file of values standing in for what the stores would return — no cluster,
 * no store. The same code path as the controller (validation, templates,
 * templateFrom, labels and annotations), so what renders here renders there.
 * ESO users know this as `esoctl template`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { formatIssues, validateManifest } from '../api/validate.ts';
import { checkTemplateSyntax, renderTarget } from '../controllers/externalsecret/template.ts';
import { inProcess } from '../sandbox/index.ts';
import { planTarget, type SecretObject } from '../controllers/externalsecret/target.ts';
import { validateExternalSecret } from '../controllers/externalsecret/validate.ts';
import type { ExternalSecretObject } from '../controllers/externalsecret/spec.ts';
import { InvalidConfigError, InvalidSpecError, describeError } from '../util/errors.ts';

export const renderUsage = `usage: hush render -f EXTERNALSECRET.yaml --values VALUES.yaml [flags]

Renders the Secret an ExternalSecret would produce, without a cluster.

  -f, --file PATH         the ExternalSecret manifest (the first ExternalSecret in the file)
  --values PATH           YAML map of key: value, the data the stores would return
                          (after decoding) — what templates see as .key
  --from PATH             ConfigMaps and Secrets that templateFrom reads (repeatable;
                          multi-document YAML is fine)
  -o, --output FORMAT     yaml (default) or json
  --decoded               show the rendered values as stringData instead of base64 data

Exit codes: 0 rendered, 1 the manifest or a template failed (the error names the
field, template, line and column), 2 bad usage.
`;

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/**
 * Parses a YAML file. Values files hold secrets: the failsafe schema keeps every value the text it
 * was written as ("0123" stays "0123", as the store would return it), and a syntax error names only
 * the line and column, never the offending text.
 */
async function loadDocs(path: string, schema: 'core' | 'failsafe' = 'core'): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return parseAllDocuments(text, { schema })
    .map((d) => {
      const e = d.errors[0];
      if (e) throw new InvalidConfigError(`${path}: not valid YAML at line ${e.linePos?.[0].line ?? '?'}, column ${e.linePos?.[0].col ?? '?'}`);
      return d.toJS() as unknown;
    })
    .filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null);
}

export async function runRender(argv: string[], io: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        file: { type: 'string', short: 'f' },
        values: { type: 'string' },
        from: { type: 'string', multiple: true },
        output: { type: 'string', short: 'o', default: 'yaml' },
        decoded: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    io.stderr(`hush render: ${describeError(err)}\n\n${renderUsage}`);
    return 2;
  }
  if (values.help) {
    io.stdout(renderUsage);
    return 0;
  }
  if (!values.file || !values.values) {
    io.stderr(`hush render: -f and --values are required\n\n${renderUsage}`);
    return 2;
  }
  if (values.output !== 'yaml' && values.output !== 'json') {
    io.stderr(`hush render: --output must be yaml or json, not "${values.output}"\n`);
    return 2;
  }
  try {
    const es = (await loadDocs(values.file)).find((d) => d.kind === 'ExternalSecret');
    if (!es) throw new InvalidConfigError(`${values.file}: no ExternalSecret in the file`);
    const issues = validateManifest(es);
    if (issues.length > 0) throw new InvalidSpecError(`${values.file}: the ExternalSecret does not match the schema:\n${formatIssues(issues)}`);
    const obj = es as unknown as ExternalSecretObject;
    obj.metadata.namespace ??= 'default';
    const problem = validateExternalSecret(obj.spec) ?? (await checkTemplateSyntax(obj.spec, inProcess));
    if (problem) throw problem;

    const [valueDoc] = await loadDocs(values.values, 'failsafe');
    const data = new Map<string, Uint8Array>();
    for (const [k, v] of Object.entries(valueDoc ?? {})) {
      data.set(k, new Uint8Array(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v))));
    }
    const sources: Record<string, unknown>[] = [];
    for (const path of values.from ?? []) sources.push(...(await loadDocs(path)));
    const rendered = await renderTarget(obj, data, (kind, name, key) => {
      const src = sources.find((d) => d.kind === kind && (d.metadata as { name?: string } | undefined)?.name === name);
      if (!src) return Promise.reject(new InvalidConfigError(`templateFrom reads ${kind} "${name}": pass the file that holds it with --from`));
      const stringData = (src.stringData as Record<string, string> | undefined)?.[key];
      const raw = (src.data as Record<string, string> | undefined)?.[key];
      if (stringData !== undefined) return Promise.resolve(stringData);
      if (raw === undefined) return Promise.reject(new InvalidConfigError(`templateFrom: ${kind} "${name}" has no key "${key}"`));
      return Promise.resolve(kind === 'Secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw);
      // In-process: the templates are the user's own files on their own machine, and a CLI run
      // should not pay for starting worker threads.
    }, inProcess);
    const plan = planTarget({ ...obj, metadata: { uid: 'rendered-locally', ...obj.metadata } }, undefined, rendered);
    if (plan.action !== 'create') {
      io.stderr(`hush render: creationPolicy ${obj.spec.target?.creationPolicy} writes no new Secret; showing the rendered data\n`);
    }
    const secret: SecretObject & { stringData?: Record<string, string> } =
      plan.action === 'create' ? plan.secret : { apiVersion: 'v1', kind: 'Secret', metadata: { name: obj.spec.target?.name ?? obj.metadata.name, namespace: obj.metadata.namespace }, data: {} };
    if (plan.action !== 'create') for (const [k, v] of rendered.data) secret.data![k] = Buffer.from(v).toString('base64');
    delete secret.metadata.ownerReferences;
    delete secret.metadata.resourceVersion;
    if (values.decoded) {
      secret.stringData = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      delete secret.data;
    }
    io.stdout(values.output === 'json' ? `${JSON.stringify(secret, null, 2)}\n` : stringify(secret));
    return 0;
  } catch (err) {
    io.stderr(`hush render: ${describeError(err)}\n`);
    return 1;
  }
}
