/** The SopsSecret resource type and the marks it leaves on the Secrets it writes. */
import { resourceType, type KubeObject } from '../../kube/resources.ts';
import { hushGroup, hushVersion, type SopsSecretSpec, type SopsSecretStatus } from '../../api/hush/index.ts';

export const SopsSecrets = resourceType(hushGroup, hushVersion, 'sopssecrets', 'SopsSecret', true);

/**
 * On every Secret a SopsSecret wrote. Its own label, not ESO's
 * `reconcile.external-secrets.io/managed`: the ExternalSecret controller must
 * never treat these Secrets as its own, and the SopsSecret controller watches
 * only these (metadata only), so memory grows with what it manages.
 */
export const LABEL_SOPS_MANAGED = 'secrets.hush.dev/managed';
/** SHA3-224 of the Secret's data, in ESO's data-hash format; tells a changed Secret from ours at a glance. */
export const ANNOTATION_SOPS_DATA_HASH = 'secrets.hush.dev/data-hash';

/** The names Flux gives the entries of a decryption Secret. */
export const AGE_KEY_SUFFIX = '.agekey';
export const VAULT_TOKEN_KEY = 'sops.vault-token';

export interface SopsSecretObject extends KubeObject {
  spec: SopsSecretSpec;
  status?: SopsSecretStatus;
}
