/**
 * A referenced object that is missing is a configuration problem of the store, not a secret
 * missing at the provider: it must never count as "the secret is gone" (which can delete a
 * Secret under deletionPolicy Delete). Retryable, since GitOps often creates it a moment later.
 */
function missing(what: string): InvalidConfigError {
  return new InvalidConfigError(`${what}; create it or fix the reference in the store`);
}

/**
 * The Kubernetes reads a provider may make for its store: referenced Secrets
 * and ConfigMaps, and ServiceAccount tokens. The namespace rules are ESO's:
 * a SecretStore may only reference objects in its own namespace (a namespace
 * in the ref must be empty or equal to it); a ClusterSecretStore reads from the
 * ref's namespace, or from the ExternalSecret's namespace when the ref has none.
 */
import type { KubeClient } from '../../kube/client.ts';
import { ConfigMaps, Secrets, ServiceAccounts } from '../../kube/resources.ts';
import { InvalidConfigError } from '../../util/errors.ts';
import type { StoreCredentialPolicy } from '../../providers/ambient.ts';
import type { ProviderKubeAccess } from '../../providers/types.ts';
import type { StoreKind } from './types.ts';

interface SecretLike {
  metadata: { name: string };
  data?: Record<string, string>;
}
interface ConfigMapLike {
  metadata: { name: string };
  data?: Record<string, string>;
}

export function createKubeAccess(
  kube: KubeClient,
  storeKind: StoreKind,
  storeNamespace: string | undefined,
  referentNamespace: string | undefined,
  credentials: StoreCredentialPolicy,
): ProviderKubeAccess {
  const namespaceFor = (what: string, requested: string | undefined): string => {
    if (storeKind === 'SecretStore') {
      if (requested && requested !== storeNamespace) {
        throw new InvalidConfigError(
          `${what}: a SecretStore may only reference objects in its own namespace "${storeNamespace}", not "${requested}"; remove the namespace or use a ClusterSecretStore`,
        );
      }
      return storeNamespace!;
    }
    const ns = requested || referentNamespace;
    if (!ns) throw new InvalidConfigError(`${what}: a ClusterSecretStore reference needs a namespace`);
    return ns;
  };
  return {
    clusterServer: kube.server,
    clusterCA: kube.caPem,
    async readSecretKey(ref) {
      const ns = namespaceFor(`Secret "${ref.name}"`, ref.namespace);
      const secret = await kube.get<SecretLike>(Secrets, ref.name, ns);
      if (!secret) throw missing(`Secret "${ns}/${ref.name}" not found`);
      const b64 = secret.data?.[ref.key];
      if (b64 === undefined) throw missing(`Secret "${ns}/${ref.name}" has no key "${ref.key}"`);
      return new Uint8Array(Buffer.from(b64, 'base64'));
    },
    async readConfigMapKey(ref) {
      const ns = namespaceFor(`ConfigMap "${ref.name}"`, ref.namespace);
      const cm = await kube.get<ConfigMapLike>(ConfigMaps, ref.name, ns);
      if (!cm) throw missing(`ConfigMap "${ns}/${ref.name}" not found`);
      const v = cm.data?.[ref.key];
      if (v === undefined) throw missing(`ConfigMap "${ns}/${ref.name}" has no key "${ref.key}"`);
      return v;
    },
    async readServiceAccount(ref) {
      const ns = namespaceFor(`ServiceAccount "${ref.name}"`, ref.namespace);
      const sa = await kube.get(ServiceAccounts, ref.name, ns);
      if (!sa) throw missing(`ServiceAccount "${ns}/${ref.name}" not found`);
      return { annotations: { ...(sa.metadata.annotations ?? {}) } };
    },
    async createServiceAccountToken(ref) {
      const ns = namespaceFor(`ServiceAccount "${ref.name}"`, ref.namespace);
      // The one place every provider's TokenRequest passes: the audience check cannot be skipped.
      credentials.checkTokenAudiences(ref.audiences, ref.field);
      const t = await kube.createToken(ref.name, ns, {
        ...(ref.audiences ? { audiences: ref.audiences } : {}),
        ...(ref.expirationSeconds ? { expirationSeconds: ref.expirationSeconds } : {}),
      });
      return { token: t.token, expiresAt: new Date(t.expirationTimestamp) };
    },
  };
}
