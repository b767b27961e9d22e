/**
 * spec.provider.aws, read from the manifest into a typed form with ESO's
 * rules: `service` and `region` are required; auth is `jwt` (web identity)
 * before `secretRef` (static keys), and with neither the SDK's default chain;
 * `additionalRoles` are assumed in order, then `role` (with externalID and
 * session tags).
 */
import type { Diagnostic, StoreContext } from '../types.ts';
import { Fields, type SecretKeyRef, type ServiceAccountRef } from '../util/spec.ts';

export type AwsService = 'SecretsManager' | 'ParameterStore';

export type AwsAuthSpec =
  | { method: 'jwt'; serviceAccountRef: ServiceAccountRef }
  | { method: 'secretRef'; accessKeyId: SecretKeyRef; secretAccessKey: SecretKeyRef; sessionToken: SecretKeyRef | undefined }
  | { method: 'default' };

export interface AwsSessionTag {
  key: string;
  value: string;
}

export interface AwsSpec {
  service: AwsService;
  region: string;
  auth: AwsAuthSpec;
  role: string | undefined;
  additionalRoles: string[];
  externalID: string | undefined;
  sessionTags: AwsSessionTag[];
  transitiveTagKeys: string[];
  /** None (default), Simple or Custom: whether store identity tags are added to the role session. */
  sessionTagsPolicy: 'None' | 'Simple' | 'Custom';
  customSessionTags: Record<string, string>;
  /** Prepended to every remote key (not to find results, which are full names). */
  prefix: string;
}

export const ROOT = 'spec.provider.aws';

/** What the SDK's endpoint rules accept as a region: one DNS label. */
const regionPattern = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function parseAwsSpec(raw: unknown, _storeKind: StoreContext['storeKind']): { spec?: AwsSpec; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const f = Fields.of(diags, ROOT, raw);
  if (!f) return { diagnostics: diags };
  const service = f.str('service', { required: true, oneOf: ['SecretsManager', 'ParameterStore'] }) as AwsService | undefined;
  const region = f.str('region', { required: true });
  if (region !== undefined && region !== '' && !regionPattern.test(region)) f.problem('region', `region not found: ${region}`);
  const auth = parseAuth(f);
  const sessionTags: AwsSessionTag[] = [];
  const rawTags = f.obj.sessionTags;
  if (rawTags !== undefined && rawTags !== null) {
    if (!Array.isArray(rawTags)) f.problem('sessionTags', 'must be a list of {key, value}');
    else {
      rawTags.forEach((t, i) => {
        const tf = Fields.of(diags, `${ROOT}.sessionTags[${i}]`, t);
        if (!tf) return;
        const key = tf.str('key', { required: true });
        const value = tf.str('value') ?? '';
        if (key !== undefined) sessionTags.push({ key, value });
      });
    }
  }
  const policy = (f.str('sessionTagsPolicy', { oneOf: ['None', 'Simple', 'Custom'] }) || 'None') as AwsSpec['sessionTagsPolicy'];
  const secretsManager = f.child('secretsManager');
  if (secretsManager) {
    // Only PushSecret uses these; checked as ESO's webhook does so a manifest ESO rejects is rejected here too.
    const force = secretsManager.bool('forceDeleteWithoutRecovery') ?? false;
    const days = secretsManager.int('recoveryWindowInDays') ?? 0;
    if (force && days !== 0) secretsManager.problem('', 'forceDeleteWithoutRecovery and recoveryWindowInDays cannot be set together');
    if (days !== 0 && (days < 7 || days > 30)) secretsManager.problem('recoveryWindowInDays', 'must be between 7 and 30 days');
  }
  if (diags.length > 0 || service === undefined || region === undefined || auth === undefined) return { diagnostics: diags };
  return {
    spec: {
      service,
      region,
      auth,
      role: f.str('role') || undefined,
      additionalRoles: (f.strList('additionalRoles') ?? []).filter((r) => r !== ''),
      externalID: f.str('externalID') || undefined,
      sessionTags,
      transitiveTagKeys: f.strList('transitiveTagKeys') ?? [],
      sessionTagsPolicy: policy,
      customSessionTags: f.strMap('customSessionTags') ?? {},
      prefix: f.str('prefix') ?? '',
    },
    diagnostics: diags,
  };
}

function parseAuth(f: Fields): AwsAuthSpec | undefined {
  const a = f.child('auth');
  if (!a) return { method: 'default' };
  // ESO's order: jwt wins over secretRef when both are written.
  const jwt = a.child('jwt');
  if (jwt) {
    const sa = jwt.serviceAccountRef('serviceAccountRef', true);
    return sa && { method: 'jwt', serviceAccountRef: sa };
  }
  const s = a.child('secretRef');
  if (s) {
    const accessKeyId = s.secretRef('accessKeyIDSecretRef', { required: true });
    const secretAccessKey = s.secretRef('secretAccessKeySecretRef', { required: true });
    const sessionToken = s.secretRef('sessionTokenSecretRef');
    if (!accessKeyId || !secretAccessKey) return undefined;
    return { method: 'secretRef', accessKeyId, secretAccessKey, sessionToken };
  }
  return { method: 'default' };
}

/**
 * Namespaces written on the auth refs, for referent-auth detection. ESO treats
 * the spec as referent when any ref lacks a namespace.
 */
export function authRefNamespaces(spec: AwsSpec): (string | undefined)[] {
  const a = spec.auth;
  switch (a.method) {
    case 'jwt':
      return [a.serviceAccountRef.namespace];
    case 'secretRef':
      return [a.accessKeyId.namespace, a.secretAccessKey.namespace, ...(a.sessionToken ? [a.sessionToken.namespace] : [])];
    case 'default':
      return [];
  }
}

/** The metrics provider label ESO uses for the service. */
export function awsMetricsName(service: AwsService): string {
  return service === 'ParameterStore' ? 'AWS/ParameterStore' : 'AWS/SecretsManager';
}
