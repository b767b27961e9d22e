/**
 * Hush's own API group, for what ESO has no counterpart to. Kept apart from
 * external-secrets.io so the ESO group stays exactly ESO's: a cluster can
 * drop in Hush for ESO without new kinds appearing under ESO's name.
 *
 * v1alpha1 only, served and stored: the fields may still change, and the
 * version says so.
 */
import type { GroupDefinition } from '../crd.ts';
import { sopsSecretSpec, sopsSecretStatus } from './v1alpha1/sopssecret.ts';

export const hushGroup = 'secrets.hush.dev';
export const hushVersion = 'v1alpha1';
export const hushApiVersion = `${hushGroup}/${hushVersion}`;
export const hushCategory = 'hush';
export const hushCrdLabels = { 'app.kubernetes.io/part-of': 'hush' } as const;

const ready = '.status.conditions[?(@.type=="Ready")]';

export const hushGroupDefinition: GroupDefinition = {
  group: hushGroup,
  storageVersion: hushVersion,
  servedVersions: [hushVersion],
  labels: hushCrdLabels,
  category: hushCategory,
  kinds: [
    {
      kind: 'SopsSecret',
      plural: 'sopssecrets',
      shortNames: ['sops'],
      scope: 'Namespaced',
      description: 'SopsSecret holds a SOPS-encrypted Secret manifest; the controller decrypts it in the cluster and writes the Secret.',
      spec: sopsSecretSpec,
      status: sopsSecretStatus,
      printerColumns: [
        { name: 'Secret', type: 'string', jsonPath: '.status.secretName' },
        { name: 'Status', type: 'string', jsonPath: `${ready}.reason` },
        { name: 'Ready', type: 'string', jsonPath: `${ready}.status` },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    },
  ],
};
