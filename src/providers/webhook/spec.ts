/**
 * spec.provider.webhook, read from the manifest with ESO's fields and defaults.
 */
import type { Diagnostic, StoreContext } from '../types.ts';
import { tryParseGoDuration } from '../../util/duration.ts';
import { Fields, type SecretKeyRef } from '../util/spec.ts';
import { checkCaProviderScope, readCaProvider, type CaProvider } from '../util/tls.ts';

export const ROOT = 'spec.provider.webhook';

export interface WebhookSecretRef {
  /** The name templates use: `{{ .<name>.<key> }}`. */
  name: string;
  secretRef: { name: string; key: string | undefined; namespace: string | undefined };
}

export interface WebhookSpec {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  /** undefined: no timeout in ESO; Hush caps a request at 30 s then. */
  timeoutMs: number | undefined;
  jsonPath: string;
  secrets: WebhookSecretRef[];
  caBundle: string | undefined;
  caProvider: CaProvider | undefined;
  ntlm: { username: SecretKeyRef; password: SecretKeyRef } | undefined;
}

export function parseWebhookSpec(raw: unknown, storeKind: StoreContext['storeKind']): { spec?: WebhookSpec; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const f = Fields.of(diags, ROOT, raw);
  if (!f) return { diagnostics: diags };
  const url = f.str('url', { required: true }) ?? '';
  const method = (f.str('method') || 'GET').toUpperCase();
  if (!/^[A-Z]+$/.test(method)) f.problem('method', 'must be an HTTP method such as GET or POST');
  let timeoutMs: number | undefined;
  const t = f.str('timeout');
  if (t !== undefined && t !== '') {
    timeoutMs = tryParseGoDuration(t);
    if (timeoutMs === undefined || timeoutMs < 0) f.problem('timeout', 'must be a duration such as 5s');
  }
  const result = f.child('result');
  const secrets: WebhookSecretRef[] = [];
  const rawSecrets = f.obj.secrets;
  if (rawSecrets !== undefined && rawSecrets !== null) {
    if (!Array.isArray(rawSecrets)) f.problem('secrets', 'must be a list');
    else {
      rawSecrets.forEach((item, i) => {
        const s = Fields.of(diags, `${ROOT}.secrets[${i}]`, item);
        if (!s) return;
        const name = s.str('name', { required: true });
        const ref = s.child('secretRef', true);
        const refName = ref?.str('name', { required: true });
        if (name !== undefined && name !== '' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) s.problem('name', 'must be usable in a template (letters, digits, _)');
        if (name && ref && refName) secrets.push({ name, secretRef: { name: refName, key: ref.str('key') || undefined, namespace: ref.str('namespace') || undefined } });
      });
    }
  }
  const caProvider = readCaProvider(f);
  checkCaProviderScope(f, caProvider, storeKind);
  let ntlm: WebhookSpec['ntlm'];
  const auth = f.child('auth');
  if (auth) {
    const n = auth.child('ntlm', true);
    const username = n?.secretRef('usernameSecret', { required: true });
    const password = n?.secretRef('passwordSecret', { required: true });
    if (username && password) ntlm = { username, password };
  }
  const spec: WebhookSpec = {
    url,
    method,
    headers: f.strMap('headers') ?? {},
    body: f.str('body') ?? '',
    timeoutMs,
    jsonPath: result?.str('jsonPath') ?? '',
    secrets,
    caBundle: f.str('caBundle') || undefined,
    caProvider,
    ntlm,
  };
  return diags.length > 0 ? { diagnostics: diags } : { spec, diagnostics: diags };
}
