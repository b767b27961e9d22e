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
    storeCalls: registry.counter('hush_store_calls_total', 'Calls the store governor sent to a store, by call and outcome (success, error, throttled, timeout).', ['kind', 'namespace', 'name', 'call', 'outcome']),
    storeBatchedReads: registry.counter('hush_store_batched_reads_total', 'Reads carried by batch calls (BatchGetSecretValue, GetParameters).', ['kind', 'namespace', 'name']),
    storeSharedReads: registry.counter('hush_store_shared_reads_total', 'Reads answered without a call: an answer fresh enough was kept, or an identical read was in flight.', ['kind', 'namespace', 'name']),
    storeRefusedCalls: registry.counter('hush_store_refused_calls_total', 'Calls refused without being sent: over the budget for too long, the store not answering, or the store gone.', ['kind', 'namespace', 'name', 'reason']),
    storeQueueWait: registry.counter('hush_store_queue_wait_seconds_total', 'Seconds calls waited for their turn in the store governor.', ['kind', 'namespace', 'name']),
    storeBudget: registry.gauge('hush_store_budget_calls_per_second', 'The store call budget: calls per second allowed (from the provider default or hush.dev/calls-per-second).', ['kind', 'namespace', 'name']),
    storeRate: registry.gauge('hush_store_allowed_calls_per_second', 'The rate the governor allows now: the budget, lowered after throttling answers and raised again on success.', ['kind', 'namespace', 'name']),
    storeNeeded: registry.gauge('hush_store_needed_calls_per_second', 'Calls per second the scheduled refreshes need to keep every refreshInterval.', ['kind', 'namespace', 'name']),
    storeFeedFailing: registry.gauge('hush_store_change_feed_failing', 'The store change feed (poll or push) is failing: refreshes read values instead (1), or works (0).', ['kind', 'namespace', 'name']),
    storeInFlight: registry.gauge('hush_store_calls_in_flight', 'Calls to the store in flight now.', ['kind', 'namespace', 'name']),
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
