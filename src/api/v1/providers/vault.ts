/**
 * `spec.provider.vault`: HashiCorp Vault and OpenBao (same API). Field names
 * follow ESO's VaultProvider. ESO gives the auth mount paths CRD defaults
 * (approle, kubernetes, ...); Hush makes them optional and applies the same
 * defaults in code (`vaultDefaults`), so stored objects stay as written.
 *
 * The provider and auth objects keep unknown fields instead of rejecting
 * them: ESO adds Vault options between releases, and a manifest written for
 * ESO must still apply; options Hush does not implement are ignored.
 */
import { array, boolean, integer, map, object, string, type Static } from '../../schema.ts';
import { caProvider, secretKeySelector, serviceAccountSelector } from '../common.ts';

const mountPath = (method: string, fallback: string) =>
  string({ description: `Mount path of the ${method} auth method. Empty means "${fallback}".` });

const withDescription = <S extends object>(schema: S, description: string): S => ({ ...schema, description });

export const vaultAppRoleAuth = object({
  path: mountPath('AppRole', 'approle'),
  roleId: string({ description: 'The role ID, written inline.' }),
  roleRef: withDescription(secretKeySelector, 'A Secret key holding the role ID.'),
  secretRef: withDescription(secretKeySelector, 'A Secret key holding the secret ID.'),
}, { required: ['secretRef'], description: 'Log in with AppRole.' });

export const vaultKubernetesAuth = object({
  mountPath: mountPath('Kubernetes', 'kubernetes'),
  role: string({ description: 'Vault role to log in as.' }),
  serviceAccountRef: withDescription(serviceAccountSelector, 'Request a short-lived token for this ServiceAccount.'),
  secretRef: withDescription(secretKeySelector, 'A Secret key holding a ServiceAccount token (key "token" if empty).'),
}, { required: ['role'], description: 'Log in with a Kubernetes ServiceAccount token. Without serviceAccountRef or secretRef the controller\'s own token is used.' });

const userPassword = (method: string, fallback: string) => object({
  path: mountPath(method, fallback),
  username: string({ description: 'User name.' }),
  secretRef: withDescription(secretKeySelector, 'A Secret key holding the password.'),
}, { required: ['username'], description: `Log in with ${method} user name and password.` });

export const vaultJwtAuth = object({
  path: mountPath('JWT/OIDC', 'jwt'),
  role: string({ description: 'Vault role to log in as.' }),
  secretRef: withDescription(secretKeySelector, 'A Secret key holding the JWT.'),
  kubernetesServiceAccountToken: object({
    serviceAccountRef: serviceAccountSelector,
    audiences: array(string(), { description: 'Deprecated: use serviceAccountRef.audiences. Empty means ["vault"].' }),
    expirationSeconds: integer({ format: 'int64', description: 'Deprecated. Token lifetime; 600 if empty.' }),
  }, { required: ['serviceAccountRef'], description: 'Use a TokenRequest token of a ServiceAccount as the JWT.' }),
}, { description: 'Log in with a JWT.' });

export const vaultCertAuth = object({
  path: mountPath('TLS certificate', 'cert'),
  vaultRole: string({ description: 'Name of the certificate role; all roles are tried if empty.' }),
  clientCert: withDescription(secretKeySelector, 'A Secret key holding the client certificate (PEM).'),
  secretRef: withDescription(secretKeySelector, 'A Secret key holding the client private key (PEM).'),
}, { description: 'Log in with a TLS client certificate.' });

const awsCredentials = object({
  accessKeyIDSecretRef: secretKeySelector,
  secretAccessKeySecretRef: secretKeySelector,
  sessionTokenSecretRef: secretKeySelector,
}, { description: 'AWS credentials kept in Secrets.' });

export const vaultIamAuth = object({
  path: mountPath('AWS', 'aws'),
  region: string({ description: 'AWS region; us-east-1 if empty.' }),
  role: string({ description: 'AWS IAM role to assume before logging in.' }),
  vaultRole: string({ description: 'Vault role to log in as.' }),
  externalID: string({ description: 'External ID for the assumed role.' }),
  vaultAwsIamServerID: string({ description: 'Value of the X-Vault-AWS-IAM-Server-ID header.' }),
  secretRef: awsCredentials,
  jwt: object({ serviceAccountRef: serviceAccountSelector }, { description: 'Use IRSA with this ServiceAccount.' }),
}, { required: ['vaultRole'], description: 'Log in with AWS IAM credentials (not supported by Hush yet).' });

export const vaultGcpAuth = object({
  path: mountPath('GCP', 'gcp'),
  role: string({ description: 'Vault role to log in as.' }),
  projectID: string({ description: 'Google Cloud project ID.' }),
  location: string({ description: 'Google Cloud location.' }),
  secretRef: object({ secretAccessKeySecretRef: secretKeySelector }, { description: 'Service account key kept in a Secret.' }),
  workloadIdentity: object({}, { preserveUnknownFields: true, description: 'GKE Workload Identity settings.' }),
  serviceAccountRef: serviceAccountSelector,
}, { required: ['role'], description: 'Log in with Google Cloud credentials (not supported by Hush yet).' });

export const vaultAuth = object({
  namespace: string({ description: 'Vault namespace used for the login only; spec.namespace if empty.' }),
  tokenSecretRef: withDescription(secretKeySelector, 'A Secret key holding a Vault token, used as is.'),
  appRole: vaultAppRoleAuth,
  kubernetes: vaultKubernetesAuth,
  ldap: userPassword('LDAP', 'ldap'),
  userPass: userPassword('userpass', 'userpass'),
  jwt: vaultJwtAuth,
  cert: vaultCertAuth,
  iam: vaultIamAuth,
  gcp: vaultGcpAuth,
}, { preserveUnknownFields: true, description: 'How to log in. Set one method; none means no login.' });
export type VaultAuth = Static<typeof vaultAuth>;

export const vaultProvider = object({
  server: string({ description: 'Address of the Vault server, e.g. https://vault.example.com:8200.' }),
  path: string({ description: 'Mount path of the KV engine, e.g. "secret". If empty, keys start with the mount.' }),
  version: string({ enum: ['v1', 'v2'], description: 'KV engine version. Empty means v2.' }),
  namespace: string({ description: 'Vault Enterprise / OpenBao namespace (X-Vault-Namespace).' }),
  caBundle: string({ format: 'byte', description: 'Base64 of the PEM CA bundle that signs the server certificate.' }),
  caProvider: withDescription(caProvider, 'Read the CA bundle from a Secret or ConfigMap.'),
  tls: object({
    certSecretRef: withDescription(secretKeySelector, 'Client certificate for mutual TLS (key tls.crt if empty).'),
    keySecretRef: withDescription(secretKeySelector, 'Client private key for mutual TLS (key tls.key if empty).'),
  }, { description: 'Client certificate for servers that require mutual TLS.' }),
  headers: map(string(), { description: 'Extra HTTP headers sent with every request.' }),
  readYourWrites: boolean({ description: 'Send the replication state so reads see earlier writes (Vault Enterprise).' }),
  forwardInconsistent: boolean({ description: 'Ask Vault to forward inconsistent reads to the leader.' }),
  checkAndSet: object({
    required: boolean({ description: 'Writes must pass check-and-set.' }),
  }, { description: 'Check-and-set for writes (PushSecret only).' }),
  auth: vaultAuth,
}, { required: ['server'], preserveUnknownFields: true, description: 'HashiCorp Vault or OpenBao KV store.' });
export type VaultProvider = Static<typeof vaultProvider>;

export const vaultDefaults = {
  version: 'v2',
  appRolePath: 'approle',
  kubernetesMountPath: 'kubernetes',
  ldapPath: 'ldap',
  userPassPath: 'userpass',
  jwtPath: 'jwt',
  certPath: 'cert',
  iamPath: 'aws',
  iamRegion: 'us-east-1',
  gcpPath: 'gcp',
  kubernetesSecretKey: 'token',
  jwtAudiences: ['vault'],
  tokenExpirationSeconds: 600,
  tlsCertKey: 'tls.crt',
  tlsKeyKey: 'tls.key',
} as const;
