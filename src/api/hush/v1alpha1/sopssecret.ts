/**
 * SopsSecret (secrets.hush.dev/v1alpha1): a SOPS-encrypted Secret manifest
 * that the controller decrypts inside the cluster, for GitOps tools with no
 * decryption of their own (Argo CD).
 *
 * Why `spec.encrypted` is one string and not a nested object: the SOPS MAC
 * hashes the values in document order, and the API server (like every JSON
 * round trip through Go maps) re-sorts object keys. A nested copy of the file
 * would come back in another order and never verify. A string survives byte
 * for byte.
 */
import { array, boolean, dateTime, integer, object, string, type Static } from '../../schema.ts';
import { objectName, type ObjectMetaLike } from '../../v1/common.ts';

export const sopsFormats = ['yaml', 'json'] as const;
export type SopsFormat = (typeof sopsFormats)[number];

export const sopsSecretSpec = object({
  encrypted: string({
    minLength: 1,
    description:
      'The whole SOPS-encrypted file, exactly as `sops --encrypt` or `hush sops encrypt` wrote it (YAML or JSON). ' +
      'It must decrypt to one v1 Secret manifest.',
  }),
  format: string({ enum: sopsFormats, description: 'Format of `encrypted`. Empty means detected: JSON if it starts with `{`, else YAML.' }),
  decryption: object({
    secretRef: object({
      name: objectName('Name of a Secret in the SopsSecret\'s namespace.'),
    }, {
      required: ['name'],
      description:
        'A Secret holding the decryption keys, named as Flux names them: every entry ending in `.agekey` holds age identities; ' +
        '`sops.vault-token` holds a Vault/OpenBao token for transit keys.',
    }),
  }, { description: 'Where the decryption keys are. Without it only the controller\'s own age key file (SOPS_AGE_KEY_FILE) is used.' }),
  suspend: boolean({ description: 'Stop reconciling: the Secret is left as it is until suspend is false again.' }),
}, { required: ['encrypted'], description: 'The encrypted Secret and how to decrypt it.' });
export type SopsSecretSpec = Static<typeof sopsSecretSpec>;

/** metav1.Condition, with observedGeneration. */
export const sopsSecretCondition = object({
  type: string({ description: 'Ready.' }),
  status: string({ enum: ['True', 'False', 'Unknown'], description: 'True, False or Unknown.' }),
  reason: string({ description: 'One-word, machine-readable cause: Decrypted, DecryptionFailed, InvalidManifest, SecretConflict, WriteFailed.' }),
  message: string({ description: 'What happened and what to do, for a person. Never contains a secret value.' }),
  observedGeneration: integer({ format: 'int64', description: 'The generation the condition was set for.' }),
  lastTransitionTime: dateTime({ description: 'When status last changed.' }),
}, { required: ['type', 'status'] });
export type SopsSecretCondition = Static<typeof sopsSecretCondition>;

export const sopsSecretStatus = object({
  observedGeneration: integer({ format: 'int64', description: 'The generation last reconciled.' }),
  secretName: string({ description: 'Name of the Secret written from the decrypted manifest.' }),
  conditions: array(sopsSecretCondition, { description: 'Current state.' }),
}, { description: 'Observed state.' });
export type SopsSecretStatus = Static<typeof sopsSecretStatus>;

export interface SopsSecret {
  apiVersion: 'secrets.hush.dev/v1alpha1';
  kind: 'SopsSecret';
  metadata: ObjectMetaLike;
  spec: SopsSecretSpec;
  status?: SopsSecretStatus;
}
