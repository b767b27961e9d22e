/** The parts of SecretStore / ClusterSecretStore objects the controllers read. */
import type { ObjectMeta } from '../../kube/resources.ts';
import type { Condition } from '../externalsecret/spec.ts';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface ClusterStoreCondition {
  namespaceSelector?: LabelSelector;
  namespaces?: string[];
  namespaceRegexes?: string[];
}

export interface StoreSpec {
  controller?: string;
  provider?: Record<string, unknown>;
  retrySettings?: { maxRetries?: number; retryInterval?: string };
  refreshInterval?: number | string;
  conditions?: ClusterStoreCondition[];
}

export interface StoreObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: StoreSpec;
  status?: { observedGeneration?: number; conditions?: Condition[]; capabilities?: string };
}

export type StoreKind = 'SecretStore' | 'ClusterSecretStore';

/** The single key under spec.provider, or an error text naming the problem. */
export function providerKeyOf(spec: StoreSpec): { key: string } | { error: string } {
  const keys = Object.keys(spec.provider ?? {}).filter((k) => (spec.provider as Record<string, unknown>)[k] != null);
  if (keys.length === 0) return { error: 'spec.provider: no provider configured; set exactly one provider (for example spec.provider.vault)' };
  if (keys.length > 1) return { error: `spec.provider: more than one provider configured (${keys.join(', ')}); set exactly one` };
  return { key: keys[0]! };
}

export function readyCondition(obj: { status?: { conditions?: Condition[] } }): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === 'Ready');
}
