/**
 * The metrics Hush exports. ESO's names and labels are kept exactly (see
 * eso-reference §8) so existing dashboards and alerts work unchanged; Hush's
 * own metrics start with `hush_`.
 */
import { Registry } from './registry.ts';

export function createControllerMetrics(registry = new Registry()) {
  return {
    registry,
    syncCalls: registry.counter('externalsecret_sync_calls_total', 'Reconciles of ExternalSecrets that read their stores.', ['name', 'namespace']),
    syncErrors: registry.counter('externalsecret_sync_calls_error', 'Reconciles of ExternalSecrets that failed.', ['name', 'namespace']),
    esCondition: registry.gauge('externalsecret_status_condition', 'ExternalSecret Ready condition: 1 for the current status, 0 for the other.', ['name', 'namespace', 'condition', 'status']),
    esReconcileDuration: registry.gauge('externalsecret_reconcile_duration', 'Duration of the last ExternalSecret reconcile, in nanoseconds (as ESO).', ['name', 'namespace']),
    providerCalls: registry.counter('externalsecret_provider_api_calls_count', 'Calls to secret store APIs.', ['provider', 'call', 'status']),
    storeCondition: registry.gauge('secretstore_status_condition', 'SecretStore Ready condition.', ['name', 'namespace', 'condition', 'status']),
    clusterStoreCondition: registry.gauge('clustersecretstore_status_condition', 'ClusterSecretStore Ready condition.', ['name', 'namespace', 'condition', 'status']),
    cesCondition: registry.gauge('clusterexternalsecret_status_condition', 'ClusterExternalSecret Ready condition.', ['name', 'namespace', 'condition', 'status']),
    storeClients: registry.gauge('hush_store_clients', 'Connected store clients kept for reuse.', ['provider']),
    queueDepth: registry.gauge('hush_workqueue_depth', 'Items waiting in a controller work queue.', ['controller']),
    secretWrites: registry.counter('hush_secret_writes_total', 'Writes of managed Secrets, by operation.', ['operation']),
    reconcileErrors: registry.counter('hush_reconcile_errors_total', 'Failed reconciles by controller and error code.', ['controller', 'code']),
    sopsDecryptions: registry.counter('hush_sopssecret_decryptions_total', 'SopsSecret decryptions, by result (success, or the failure reason).', ['name', 'namespace', 'result']),
    sopsCondition: registry.gauge('hush_sopssecret_status_condition', 'SopsSecret Ready condition: 1 for the current status, 0 for the other.', ['name', 'namespace', 'condition', 'status']),
  };
}

export type ControllerMetrics = ReturnType<typeof createControllerMetrics>;

/** Sets a two-valued condition gauge the way ESO does: 1 for the current status, 0 for the other. */
export function setConditionGauge(
  gauge: ControllerMetrics['esCondition'],
  labels: { name: string; namespace: string },
  status: 'True' | 'False',
): void {
  gauge.set({ ...labels, condition: 'Ready', status: 'True' }, status === 'True' ? 1 : 0);
  gauge.set({ ...labels, condition: 'Ready', status: 'False' }, status === 'False' ? 1 : 0);
}
