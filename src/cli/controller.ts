/**
 * `hush controller`: runs the sync controllers against the current kubeconfig
 * (or the in-cluster config), with optional Lease leader election, metrics and
 * health endpoints, JSON logs, and a graceful stop on SIGTERM/SIGINT.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Server } from 'node:http';
import { KubeClient, isNotFound } from '../kube/client.ts';
import { SopsSecrets } from '../controllers/sopssecret/resources.ts';
import { LeaderElector } from '../kube/leader.ts';
import { createLogger, type Level } from '../util/log.ts';
import { createControllerMetrics } from '../metrics/hush.ts';
import { startProbeServer } from '../metrics/server.ts';
import { Manager } from '../controllers/manager.ts';
import { describeError } from '../util/errors.ts';
import { tryParseGoDuration } from '../util/duration.ts';
import { installSandbox, WorkerPool, type PoolOptions } from '../sandbox/index.ts';
import { DEFAULT_MAX_OLD_GENERATION_MB } from '../sandbox/pool.ts';
import { DEFAULT_CREDENTIAL_POLICY, parseList, type CredentialPolicyOptions } from '../providers/ambient.ts';
import { EgressPolicy, splitList } from '../net/egress.ts';
import { parseByteSize } from '../net/limits.ts';
import { RefreshApi, checkListenPlan, startRefreshApi, type TlsFiles } from '../refreshapi/server.ts';
import type { Provider } from '../providers/types.ts';
import { providerForWithAuditFeed } from '../providers/registry.ts';
import { AuditHub } from '../providers/vault/audit/hub.ts';
import { AuditListener } from '../providers/vault/audit/listener.ts';
import { isLoopback, parseListenAddress, type ListenAddress } from '../providers/vault/audit/address.ts';

export const controllerUsage = `usage: hush controller [flags]

Runs the ExternalSecret, SecretStore, ClusterSecretStore and ClusterExternalSecret
controllers against the cluster of the current kubeconfig (or in-cluster config).

flags:
  --kubeconfig PATH                 kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --context NAME                    kubeconfig context
  --namespace NS                    watch only this namespace (ClusterExternalSecrets are then off)
  --controller-class NAME           serve stores whose spec.controller is NAME or empty (default "default")
  --concurrent N                    ExternalSecret workers (default 4)
  --enable-leader-election          run only while holding a Lease (for several replicas)
  --leader-election-namespace NS    namespace of the Lease (default: the pod's namespace or "default")
  --leader-election-id NAME         name of the Lease (default "hush-controller")
  --metrics-addr ADDR               Prometheus /metrics listen address (default ":8080", "0" = off)
  --health-addr ADDR                /healthz and /readyz listen address (default ":8081", "0" = off)
  --enable-cluster-store-reconciler            (default true; --no-... to disable)
  --enable-cluster-external-secret-reconciler  (default true; --no-... to disable)
  --enable-sopssecret-reconciler               SopsSecret (secrets.hush.dev) decryption (default true;
                                               off by itself when that CRD is not installed)
  --log-level LEVEL                 debug, info, warn or error (default info)
  --sandbox-workers N               worker threads for tenant templates and SOPS parsing (default: the
                                    CPUs available, at most 4)
  --sandbox-timeout DURATION        wall-clock limit of one sandbox job, e.g. one ExternalSecret's
                                    templates (default 2s); the worker is then replaced
  --sandbox-max-heap-mb N           V8 old-space limit of each sandbox worker, in MB (default 64)
  --template-max-steps N            evaluation steps one template may take; costly functions count by
                                    their work (RSA-4096 key: 330000, bcrypt: 65000) (default 1000000)

credentials (see docs/security.md, "Ambient credentials and service-account tokens"):
  --cluster-store-ambient-credentials  ClusterSecretStores may use the controller's own identity
                                    (mounted token, cloud default chain, managed/workload identity)
                                    (default true; --no-... to disable)
  --store-ambient-credentials       every SecretStore may use it, as in ESO (default false; unsafe
                                    when tenants create SecretStores)
  --ambient-credentials-namespaces LIST  SecretStores of these namespaces may use it, and may ask
                                    for any ServiceAccount token audience (comma-separated)
  --allowed-token-audiences LIST    audiences a SecretStore may ask for in a ServiceAccount token
                                    (comma-separated, default "vault"; "*" = any, as in ESO)
  --allow-default-token-audience    a SecretStore may ask for a token without audiences, which gets
                                    the API server's default audience (default true; --no-... to disable)

egress and response limits (docs/security.md, "Egress policy and response limits"):
  --egress-allow LIST               CIDRs, addresses or hostnames stores may reach although a default
                                    rule refuses them (comma separated, repeatable; also $HUSH_EGRESS_ALLOW)
  --egress-deny LIST                CIDRs, addresses or hostnames no store may reach; wins over
                                    --egress-allow (comma separated, repeatable; also $HUSH_EGRESS_DENY)
  --cluster-service-cidr LIST       the cluster's service CIDR(s), refused to namespaced SecretStores
                                    and SopsSecrets (also $HUSH_CLUSTER_SERVICE_CIDR)
  --webhook-provider-cluster-stores-only
                                    serve the webhook provider only in ClusterSecretStores (default false)
  --max-response-bytes N            largest answer accepted from a store (default 4Mi; Ki/Mi/Gi suffixes)
  --kube-max-response-bytes N       largest Kubernetes API response or watch event (default 128Mi)

refresh API (docs/refresh-api.md): POST /v1/refresh/... syncs ExternalSecrets from fresh reads now;
callers authenticate with a Kubernetes bearer token and need patch on those ExternalSecrets:
  --refresh-api-addr ADDR           listen address, e.g. ":8443" (default "0" = off)
  --refresh-api-tls-cert-file PATH  serve HTTPS with this certificate (PEM; re-read when it changes)
  --refresh-api-tls-key-file PATH   and this key
  --refresh-api-insecure            allow plain HTTP on a non-loopback address: bearer tokens then cross
                                    the network in clear, and anyone on the path can replay them
                                    (default false; plain HTTP on 127.0.0.1/::1 needs no flag)
  --refresh-api-token-audiences LIST  audiences a caller's token must be valid for (comma-separated;
                                    default: the API server's own)

change feeds:
  --vault-audit-listen-addr ADDR    listen for a Vault/OpenBao "socket" audit device (HOST:PORT, :PORT or
                                    unix:/path) and refresh vault stores when their secrets are written
                                    (default off: vault stores are polled). Never make it Vault's only
                                    audit device; bind to loopback or fence it (docs/vault-audit-socket.md)
`;

export async function runController(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowNegative: true,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string' },
      'controller-class': { type: 'string', default: 'default' },
      concurrent: { type: 'string', default: '4' },
      'enable-leader-election': { type: 'boolean', default: false },
      'leader-election-namespace': { type: 'string' },
      'leader-election-id': { type: 'string', default: 'hush-controller' },
      'metrics-addr': { type: 'string', default: ':8080' },
      'health-addr': { type: 'string', default: ':8081' },
      'enable-cluster-store-reconciler': { type: 'boolean', default: true },
      'enable-cluster-external-secret-reconciler': { type: 'boolean', default: true },
      'enable-sopssecret-reconciler': { type: 'boolean', default: true },
      'log-level': { type: 'string', default: 'info' },
      'sandbox-workers': { type: 'string' },
      'sandbox-timeout': { type: 'string', default: '2s' },
      'sandbox-max-heap-mb': { type: 'string', default: String(DEFAULT_MAX_OLD_GENERATION_MB) },
      'template-max-steps': { type: 'string' },
      'cluster-store-ambient-credentials': { type: 'boolean', default: DEFAULT_CREDENTIAL_POLICY.clusterStoreAmbient },
      'store-ambient-credentials': { type: 'boolean', default: DEFAULT_CREDENTIAL_POLICY.storeAmbient },
      'ambient-credentials-namespaces': { type: 'string', default: '' },
      'allowed-token-audiences': { type: 'string', default: DEFAULT_CREDENTIAL_POLICY.allowedTokenAudiences.join(',') },
      'allow-default-token-audience': { type: 'boolean', default: DEFAULT_CREDENTIAL_POLICY.allowDefaultTokenAudience },
      'egress-allow': { type: 'string', multiple: true, default: [] },
      'egress-deny': { type: 'string', multiple: true, default: [] },
      'cluster-service-cidr': { type: 'string', multiple: true, default: [] },
      'webhook-provider-cluster-stores-only': { type: 'boolean', default: false },
      'max-response-bytes': { type: 'string' },
      'kube-max-response-bytes': { type: 'string' },
      'refresh-api-addr': { type: 'string', default: '0' },
      'refresh-api-tls-cert-file': { type: 'string' },
      'refresh-api-tls-key-file': { type: 'string' },
      'refresh-api-insecure': { type: 'boolean', default: false },
      'refresh-api-token-audiences': { type: 'string', default: '' },
      'vault-audit-listen-addr': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(controllerUsage);
    return 0;
  }
  const level = values['log-level'] as Level;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    process.stderr.write(`hush controller: --log-level must be debug, info, warn or error, not "${level}"\n`);
    return 2;
  }
  const concurrency = Number(values.concurrent);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    process.stderr.write(`hush controller: --concurrent must be a positive integer, not "${values.concurrent}"\n`);
    return 2;
  }
  const sandboxOpts = sandboxOptions(values['sandbox-workers'], values['sandbox-timeout'], values['sandbox-max-heap-mb'], values['template-max-steps']);
  if (typeof sandboxOpts === 'string') {
    process.stderr.write(`hush controller: ${sandboxOpts}\n`);
    return 2;
  }
  const credentialPolicy: CredentialPolicyOptions = {
    clusterStoreAmbient: values['cluster-store-ambient-credentials'],
    storeAmbient: values['store-ambient-credentials'],
    ambientNamespaces: parseList(values['ambient-credentials-namespaces']),
    allowedTokenAudiences: parseList(values['allowed-token-audiences']),
    allowDefaultTokenAudience: values['allow-default-token-audience'],
  };
  let egress: EgressPolicy;
  try {
    egress = EgressPolicy.fromEnv(process.env, {
      allow: values['egress-allow'].flatMap(splitList),
      deny: values['egress-deny'].flatMap(splitList),
      clusterServiceCidrs: values['cluster-service-cidr'].flatMap(splitList),
    });
  } catch (err) {
    // The policy's messages name the flag and the entry already.
    process.stderr.write(`hush controller: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const sizes: Record<'max-response-bytes' | 'kube-max-response-bytes', number | undefined> = { 'max-response-bytes': undefined, 'kube-max-response-bytes': undefined };
  for (const flag of ['max-response-bytes', 'kube-max-response-bytes'] as const) {
    const text = values[flag];
    if (text === undefined) continue;
    const n = parseByteSize(text);
    if (n === undefined) {
      process.stderr.write(`hush controller: --${flag} must be a positive byte count such as 4194304 or 4Mi, not "${text}"\n`);
      return 2;
    }
    sizes[flag] = n;
  }
  const refreshAddr = values['refresh-api-addr'];
  const refreshTls = { certFile: values['refresh-api-tls-cert-file'], keyFile: values['refresh-api-tls-key-file'] };
  if (refreshAddr !== '0') {
    const problem = checkListenPlan(refreshAddr, refreshTls, values['refresh-api-insecure']);
    if (problem) {
      process.stderr.write(`hush controller: ${problem}\n`);
      return 2;
    }
  }
  let auditAddr: ListenAddress | undefined;
  if (values['vault-audit-listen-addr'] !== undefined && values['vault-audit-listen-addr'] !== '') {
    try {
      auditAddr = parseListenAddress(values['vault-audit-listen-addr']);
    } catch (err) {
      process.stderr.write(`hush controller: --vault-audit-listen-addr: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
  }
  const logger = createLogger({ level });
  if (credentialPolicy.storeAmbient) {
    logger.warn(
      '--store-ambient-credentials: every SecretStore may use the controller\'s own identity (its ServiceAccount token, cloud and managed identities); ' +
        'anyone who can create a SecretStore can read what the controller can read. Prefer --ambient-credentials-namespaces',
    );
  }
  let kube: KubeClient;
  try {
    const kubeMax = sizes['kube-max-response-bytes'];
    kube = KubeClient.fromKubeconfig(values.kubeconfig, values.context, kubeMax === undefined ? {} : { maxResponseBytes: kubeMax });
  } catch (err) {
    process.stderr.write(`hush controller: cannot load a kubeconfig: ${describeError(err)}\n`);
    return 1;
  }
  const metrics = createControllerMetrics();
  // Started before the stores connect, so that their clients find the feed; one hub for the process.
  let auditListener: AuditListener | undefined;
  let providerFor: ((key: string) => Provider | undefined) | undefined;
  if (auditAddr) {
    if (!isLoopback(auditAddr)) {
      logger.warn('--vault-audit-listen-addr is not a loopback address: anyone who can reach it can make Hush re-read vault stores; fence it with a NetworkPolicy');
    }
    const hub = new AuditHub();
    try {
      auditListener = await AuditListener.start({ address: auditAddr, hub, logger: logger.child({ component: 'vault-audit' }) });
    } catch (err) {
      process.stderr.write(`hush controller: ${describeError(err)}\n`);
      kube.close();
      return 1;
    }
    providerFor = providerForWithAuditFeed(hub);
  }
  let enableSops = values['enable-sopssecret-reconciler'];
  if (enableSops && !(await servesSopsSecrets(kube))) {
    // An ESO-only install (its CRDs, not Hush's) must work unchanged: skip what it lacks.
    logger.warn('the SopsSecret CRD (secrets.hush.dev) is not installed: SopsSecret decryption is off; apply deploy/crds to enable it');
    enableSops = false;
  }
  const manager = new Manager({
    kube,
    logger,
    metrics,
    namespace: values.namespace,
    controllerClass: values['controller-class'],
    concurrency,
    enableClusterStores: values['enable-cluster-store-reconciler'],
    enableClusterExternalSecrets: values['enable-cluster-external-secret-reconciler'],
    enableSopsSecrets: enableSops,
    credentialPolicy,
    egress,
    maxResponseBytes: sizes['max-response-bytes'],
    webhookClusterStoresOnly: values['webhook-provider-cluster-stores-only'],
    ...(providerFor ? { providerFor } : {}),
  });

  // Tenant templates and SOPS files are parsed and run in these workers, never on the event loop.
  const pool = new WorkerPool(sandboxOpts);
  installSandbox(pool);

  const stop = new AbortController();
  const servers: Server[] = [];
  // Only the leader's reconciles run: a standby answers the refresh API with 503 (clients retry).
  let leading = !values['enable-leader-election'];
  try {
    if (refreshAddr !== '0') {
      const api = new RefreshApi({
        kube,
        engine: manager.readEngine,
        externalSecrets: manager.caches.externalSecrets,
        logger: logger.child({ component: 'refresh-api' }),
        ready: () => leading && manager.isSynced(),
        audiences: parseList(values['refresh-api-token-audiences']),
      });
      const tls: TlsFiles | undefined = refreshTls.certFile && refreshTls.keyFile ? { certFile: refreshTls.certFile, keyFile: refreshTls.keyFile } : undefined;
      servers.push(await startRefreshApi(refreshAddr, api, tls, logger));
      if (!tls) logger.warn('the refresh API serves plain HTTP: bearer tokens are sent in clear', { addr: refreshAddr });
    }
    if (values['metrics-addr'] !== '0') servers.push(await startProbeServer(values['metrics-addr'], { registry: metrics.registry, ready: () => true }));
    if (values['health-addr'] !== '0') {
      // Ready when caches are synced, or while standing by as a healthy follower.
      // Ready once the caches are synced, leader or standby alike: a standby keeps them warm, so it can take over at once.
      servers.push(await startProbeServer(values['health-addr'], { registry: metrics.registry, ready: () => manager.isSynced() }));
    }
  } catch (err) {
    process.stderr.write(`hush controller: cannot listen: ${describeError(err)}\n`);
    await auditListener?.close();
    return 1;
  }

  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) process.exit(1);
    logger.info('shutting down', { signal: sig });
    stop.abort();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  logger.info('starting hush controller', { namespace: values.namespace ?? '(all)', controllerClass: values['controller-class'], concurrency, leaderElection: values['enable-leader-election'], credentialPolicy });
  let exitCode = 0;
  try {
    if (values['enable-leader-election']) {
      const identity = `${hostname()}_${randomBytes(4).toString('hex')}`;
      const elector = new LeaderElector(kube, {
        namespace: values['leader-election-namespace'] ?? process.env.POD_NAMESPACE ?? 'default',
        name: values['leader-election-id'],
        identity,
        logger,
      });
      let lost = false;
      // Caches first and independent of the Lease: a standby keeps them synced, so when it wins
      // the Lease it starts reconciling at once instead of listing everything first.
      const caches = manager.startCaches(stop.signal);
      caches.catch(() => undefined);
      await elector.run(stop.signal, {
        onStartedLeading: async (leaderSignal) => {
          logger.info('became leader', { identity });
          leading = true;
          try {
            await manager.runControllers(leaderSignal);
          } catch (err) {
            logger.error('controllers failed', { error: describeError(err) });
          } finally {
            leading = false;
          }
          if (!leaderSignal.aborted) {
            // The work stopped while we still hold the Lease: give it up (by exiting) so another
            // replica leads, rather than hold it while doing nothing.
            lost = true;
            stop.abort();
          }
        },
        onStoppedLeading: () => {
          if (!stop.signal.aborted) {
            // Losing the Lease while running means another replica may already act: stop at once.
            lost = true;
            logger.error('lost leadership, exiting', { identity });
            stop.abort();
          }
        },
        onNewLeader: (id) => logger.info('leader is', { leader: id }),
      });
      await manager.runtime.cachesStopped();
      if (lost) exitCode = 1;
    } else {
      await manager.run(stop.signal);
    }
  } catch (err) {
    logger.error('controller failed', { error: describeError(err) });
    exitCode = 1;
  } finally {
    for (const s of servers) s.close();
    await auditListener?.close();
    kube.close();
    // After the controllers have stopped: no reconcile is waiting for a template any more.
    installSandbox(undefined);
    await pool.close();
  }
  logger.info('stopped');
  return exitCode;
}

/** The pool's options from the flags, or what is wrong with them. */
export function sandboxOptions(workers: string | undefined, timeout: string, heapMb: string, maxSteps?: string): PoolOptions | string {
  const opts: PoolOptions = {};
  if (maxSteps !== undefined) {
    const n = Number(maxSteps);
    if (!Number.isSafeInteger(n) || n < 1000) return `--template-max-steps must be an integer of at least 1000, not "${maxSteps}"`;
    opts.templateMaxSteps = n;
  }
  if (workers !== undefined) {
    const n = Number(workers);
    if (!Number.isInteger(n) || n < 1) return `--sandbox-workers must be a positive integer, not "${workers}"`;
    opts.workers = n;
  }
  const ms = tryParseGoDuration(timeout);
  if (ms === undefined || ms <= 0) return `--sandbox-timeout must be a positive duration such as 2s or 500ms, not "${timeout}"`;
  opts.timeoutMs = ms;
  const mb = Number(heapMb);
  if (!Number.isInteger(mb) || mb < 16) return `--sandbox-max-heap-mb must be an integer of at least 16, not "${heapMb}"`;
  opts.maxOldGenerationSizeMb = mb;
  return opts;
}

/** Whether the API server serves SopsSecrets (the CRD is installed). Other errors count as yes, so they surface. */
async function servesSopsSecrets(kube: KubeClient): Promise<boolean> {
  try {
    await kube.list(SopsSecrets, { limit: 1 });
    return true;
  } catch (err) {
    return !isNotFound(err);
  }
}
