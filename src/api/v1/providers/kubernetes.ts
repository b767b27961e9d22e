/**
 * `spec.provider.kubernetes`: read Secrets of a namespace of this or another
 * cluster. Field names follow ESO's KubernetesProvider; ESO's CRD defaults
 * (server.url, remoteNamespace) are applied in code (`kubernetesDefaults`).
 */
import { object, oneOfKeys, string, type Static } from '../../schema.ts';
import { caProvider, namespaceName, secretKeySelector, serviceAccountSelector } from '../common.ts';

export const kubernetesProvider = object({
  server: object({
    url: string({ description: 'API server URL; the cluster the controller runs in if empty.' }),
    caBundle: string({ format: 'byte', description: 'Base64 of the PEM CA bundle of the API server.' }),
    caProvider: { ...caProvider, description: 'Read the CA bundle from a Secret or ConfigMap.' },
  }, { description: 'The API server to read from.' }),
  auth: oneOfKeys({
    cert: object({
      clientCert: { ...secretKeySelector, description: 'Client certificate (PEM).' },
      clientKey: { ...secretKeySelector, description: 'Client private key (PEM).' },
    }, { description: 'Authenticate with a client certificate.' }),
    token: object({
      bearerToken: { ...secretKeySelector, description: 'A Secret key holding a bearer token.' },
    }, { description: 'Authenticate with a static bearer token.' }),
    serviceAccount: { ...serviceAccountSelector, description: 'Authenticate with a short-lived token of this ServiceAccount.' },
  }, { description: 'How to authenticate; exactly one method.' }),
  authRef: { ...secretKeySelector, description: 'A Secret key holding a kubeconfig (key "value" if empty).' },
  remoteNamespace: namespaceName('Namespace to read Secrets from. Empty means "default".'),
}, { description: 'Secrets of a Kubernetes namespace.' });
export type KubernetesProvider = Static<typeof kubernetesProvider>;

export const kubernetesDefaults = {
  serverUrl: 'kubernetes.default',
  remoteNamespace: 'default',
  authRefKey: 'value',
} as const;
