/**
 * The SopsSecret controller: decrypts a SOPS-encrypted Secret manifest and writes the Secret.
 *
 * Woken by its own spec, labels, annotations or deletion, and by a change to or deletion of
 * the Secret it wrote (drift repair at once; an ownerReference someone removed still names
 * the SopsSecret to wake). A SopsSecret waiting for a key Secret or Vault is retried at least
 * once a minute: nothing else wakes it.
 */
import { EgressPolicy } from '../../net/egress.ts';
import { EgressGuard } from '../../net/guard.ts';
import type { ControllerDefinition, Watch } from '../../kube/controller.ts';
import { Secrets, type KubeObject } from '../../kube/resources.ts';
import { splitObjectKey } from '../../kube/resources.ts';
import { specOrMetaChanged, type ControllerContext } from '../context.ts';
import { SopsSecretReconciler } from './reconciler.ts';
import { LABEL_SOPS_MANAGED, SopsSecrets, type SopsSecretObject } from './resources.ts';

export function sopsSecretController(ctx: ControllerContext): ControllerDefinition<SopsSecretObject> | undefined {
  const { options } = ctx;
  if (!(options.enableSopsSecrets ?? true)) return undefined;
  const ns = options.namespace;
  const informer = ctx.runtime.informer<SopsSecretObject>(SopsSecrets, ns ? { namespace: ns } : {});
  const secrets = ctx.runtime.informer<KubeObject>(Secrets, { ...(ns ? { namespace: ns } : {}), metadataOnly: true, labelSelector: `${LABEL_SOPS_MANAGED}=true` });
  const reconciler = new SopsSecretReconciler({
    kube: ctx.kube,
    sopsSecrets: informer,
    managedSecrets: secrets,
    events: ctx.events('hush-sopssecret'),
    metrics: ctx.metrics,
    logger: ctx.logger.child({ controller: 'sopssecret' }),
    defaultAgeKeyFile: 'sopsAgeKeyFile' in options ? options.sopsAgeKeyFile : process.env.SOPS_AGE_KEY_FILE || undefined,
    // A SopsSecret is a tenant's, and so are the key service addresses in its file.
    egress: new EgressGuard(options.egress ?? EgressPolicy.fromEnv(process.env), 'tenant'),
    maxResponseBytes: options.maxResponseBytes,
  });
  const ownerOf = (s: KubeObject): string[] => {
    const owner = s.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === 'SopsSecret');
    return owner ? [`${s.metadata.namespace ?? ''}/${owner.name}`] : [];
  };
  const secretWatch: Watch<KubeObject> = {
    informer: secrets,
    onUpdate: (a, b) => (a.metadata.resourceVersion === b.metadata.resourceVersion ? [] : [...ownerOf(b), ...ownerOf(a)]),
    onDelete: ownerOf,
  };
  return {
    name: 'sopssecret',
    for: { informer, updateNeedsReconcile: specOrMetaChanged },
    watches: [secretWatch],
    queue: { maxDelayMs: 60_000 },
    concurrency: Math.max(1, Math.ceil(options.concurrency / 2)),
    reconcile: (key, rctx) => {
      const { namespace, name } = splitObjectKey(key);
      return reconciler.reconcile(namespace ?? '', name, rctx);
    },
  };
}
