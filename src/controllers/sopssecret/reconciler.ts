/**
 * The SopsSecret reconciler: level-based, one key at a time.
 *
 *   read the SopsSecret → (nothing changed and the Secret is intact? done) →
 *   read the key Secret → decrypt and verify the file → check the manifest →
 *   write the Secret if it differs → delete Secrets it wrote under an old
 *   name → status, event, metrics.
 *
 * Failure rule: every check happens before the first write, and a failure
 * leaves the existing Secret exactly as it was; there is no partial write.
 * The plaintext lives only in local variables of one run. Messages, events,
 * logs and metrics name the SopsSecret, paths and keys, never values.
 *
 * No finalizer: the Secret carries a controller ownerReference to the
 * SopsSecret, and Kubernetes' garbage collector deletes it with its owner.
 */
import type { EgressGuard } from '../../net/guard.ts';
import type { ReconcileContext } from '../../kube/controller.ts';
import { failingSince, progressOf, withProgress } from '../conditions.ts';
import { isAlreadyExists, isConflict, type KubeClient } from '../../kube/client.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { Informer } from '../../kube/informer.ts';
import { Secrets, type KubeObject } from '../../kube/resources.ts';
import { hushApiVersion } from '../../api/hush/index.ts';
import { setConditionGauge, type ControllerMetrics } from '../../metrics/hush.ts';
import { HushError, InternalError, describeError } from '../../util/errors.ts';
import type { Logger } from '../../util/log.ts';
import type { SecretObject } from '../externalsecret/target.ts';
import { decryptManifest, detectFormat } from './decrypt.ts';
import { Reasons, SopsSecretError, type Reason } from './errors.ts';
import { describeOffered, keyContext, keysFromSecretData, type DecryptionKeys } from './keys.ts';
import { secretContentFromManifest, type SecretContent } from './manifest.ts';
import { SopsSecrets, type SopsSecretObject } from './resources.ts';
import { isUpToDate, planWrite, secretBody, wantedSecret, type WantedSecret } from './secret.ts';
import { isReadyFor, sameStatus, withReady } from './status.ts';

export interface SopsSecretReconcilerDeps {
  kube: KubeClient;
  sopsSecrets: Informer<SopsSecretObject>;
  /** Secrets labelled secrets.hush.dev/managed, metadata only. */
  managedSecrets: Informer<KubeObject>;
  events: EventRecorder;
  metrics: ControllerMetrics;
  logger: Logger;
  /** The controller's own age key file, offered to every SopsSecret after its own keys. */
  defaultAgeKeyFile?: string | undefined;
  /** The egress guard (tenant scope) for key services named in the file (Vault transit, Azure Key Vault). */
  egress: EgressGuard;
  maxResponseBytes?: number | undefined;
  now?: () => number;
}

type Subject = SopsSecretObject & { apiVersion: string; kind: string };

/** What the last successful run wrote, per SopsSecret: enough to check the Secret without decrypting. */
interface Done {
  uid: string;
  generation: number;
  want: WantedSecret;
}

export class SopsSecretReconciler {
  private readonly d: SopsSecretReconcilerDeps;
  private readonly now: () => number;
  private readonly done = new Map<string, Done>();

  constructor(deps: SopsSecretReconcilerDeps) {
    this.d = deps;
    this.now = deps.now ?? Date.now;
  }

  async reconcile(namespace: string, name: string, ctx: ReconcileContext): Promise<{ requeueAfterMs?: number }> {
    const { signal } = ctx;
    const key = `${namespace}/${name}`;
    const cached = this.d.sopsSecrets.get(name, namespace);
    if (!cached) {
      this.done.delete(key);
      this.forgetMetrics(namespace, name);
      return {};
    }
    const obj = structuredClone(cached) as Subject;
    obj.apiVersion = hushApiVersion;
    obj.kind = 'SopsSecret';
    if (obj.metadata.deletionTimestamp || obj.spec.suspend) return {};
    const generation = obj.metadata.generation ?? 0;
    const uid = obj.metadata.uid ?? '';

    // Nothing changed since the last success and the Secret is intact: no decryption (no Vault call).
    const last = this.done.get(key);
    if (last && last.uid === uid && last.generation === generation && isReadyFor(obj.status, generation)) {
      const existing = await this.d.kube.get<SecretObject>(Secrets, last.want.name, namespace, { signal });
      if (isUpToDate(existing, last.want)) return {};
    }

    const subject = `SopsSecret "${key}"`;
    let content: SecretContent;
    try {
      content = await this.decrypt(obj, subject, signal);
    } catch (err) {
      return this.fail(obj, err, Reasons.DecryptionFailed, ctx);
    }
    this.d.metrics.sopsDecryptions.inc({ name, namespace, result: 'success' });

    const want = wantedSecret(content, obj);
    let action;
    try {
      const existing = await this.d.kube.get<SecretObject>(Secrets, want.name, namespace, { signal });
      action = planWrite(existing, want, subject);
      await this.write(action, want, content, existing, signal);
      await this.deleteRenamed(obj, want.name, signal);
    } catch (err) {
      // A lost write race (409) is retried quietly: the next attempt reads the new version.
      if (isConflict(err) || isAlreadyExists(err)) throw err;
      return this.fail(obj, err, Reasons.WriteFailed, ctx);
    }
    this.done.set(key, { uid, generation, want });

    if (action !== 'none') {
      // A write at an unchanged generation after a success means someone changed or deleted the Secret.
      const repaired = last?.uid === uid && last.generation === generation;
      const what = action === 'create' ? 'created' : action === 'recreate' ? 'recreated (its type or immutability changed)' : 'updated';
      const message = repaired ? `Secret "${want.name}" was changed or deleted outside the SopsSecret; restored` : `Secret "${want.name}" ${what} from the decrypted manifest`;
      this.d.events.record(obj, 'Normal', action === 'create' ? 'Created' : 'Updated', message);
      this.d.logger.info(repaired ? 'repaired secret' : 'wrote secret', { namespace, name, secret: want.name, action });
    }
    const ready = withReady(obj.status, 'True', Reasons.Decrypted, `decrypted; Secret "${want.name}" is up to date`, generation, new Date(this.now()), want.name);
    const status = { ...ready, conditions: withProgress(ready.conditions, { state: 'ok' }, new Date(this.now())) as typeof ready.conditions };
    await this.writeStatus(obj, status, signal);
    setConditionGauge(this.d.metrics.sopsCondition, { name, namespace }, 'True');
    return {};
  }

  /** Reads the keys, decrypts and verifies the file, and checks the manifest. */
  private async decrypt(obj: Subject, subject: string, signal: AbortSignal): Promise<SecretContent> {
    const namespace = obj.metadata.namespace!;
    const ref = obj.spec.decryption?.secretRef?.name;
    let keys: DecryptionKeys | undefined;
    const keyHome = ref ? `Secret "${namespace}/${ref}" (spec.decryption.secretRef)` : 'a Secret named in spec.decryption.secretRef';
    if (ref) {
      const secret = await this.d.kube.get<SecretObject>(Secrets, ref, namespace, { signal });
      if (!secret) {
        throw new SopsSecretError(Reasons.DecryptionFailed, 'NotFound', `${subject}: the decryption key Secret "${namespace}/${ref}" (spec.decryption.secretRef) does not exist. Fix: create it, with the age identity in an entry ending in ".agekey" (kubectl create secret generic ${ref} --from-file=age.agekey=...).`);
      }
      keys = keysFromSecretData(`Secret "${namespace}/${ref}"`, secret.data);
    }
    const format = detectFormat(obj.spec.encrypted, obj.spec.format);
    const ctx = { ...keyContext(keys, this.d.defaultAgeKeyFile), egress: this.d.egress, ...(this.d.maxResponseBytes === undefined ? {} : { maxResponseBytes: this.d.maxResponseBytes }) };
    const manifest = await decryptManifest(obj.spec.encrypted, format, ctx, { subject, offered: describeOffered(keys, this.d.defaultAgeKeyFile), keyHome });
    return secretContentFromManifest(manifest, { namespace, name: obj.metadata.name }, subject);
  }

  private async write(action: ReturnType<typeof planWrite>, want: WantedSecret, content: SecretContent, existing: SecretObject | undefined, signal: AbortSignal): Promise<void> {
    const m = this.d.metrics.secretWrites;
    switch (action) {
      case 'none':
        return;
      case 'create':
        await this.d.kube.create(Secrets, secretBody(want, content.data), { signal });
        m.inc({ operation: 'create' });
        return;
      case 'replace':
        await this.d.kube.replace(Secrets, secretBody(want, content.data, existing), { signal });
        m.inc({ operation: 'update' });
        return;
      case 'recreate':
        // The uid and resourceVersion preconditions make sure we delete the Secret we looked at, nothing newer.
        await this.d.kube.delete(Secrets, want.name, want.namespace, { preconditions: { uid: existing!.metadata.uid!, resourceVersion: existing!.metadata.resourceVersion! }, signal });
        m.inc({ operation: 'delete' });
        try {
          await this.d.kube.create(Secrets, secretBody(want, content.data), { signal });
        } catch (err) {
          // The old Secret is gone: whatever went wrong, keep trying (with backoff) until it is back.
          throw new SopsSecretError(Reasons.WriteFailed, 'Unavailable', `Secret "${want.namespace}/${want.name}" was deleted to change its type or immutable data, and creating it again failed: ${describeError(err)}`, { cause: err });
        }
        m.inc({ operation: 'create' });
    }
  }

  /** After the manifest's metadata.name changed, the Secret under the old name is ours alone: delete it. */
  private async deleteRenamed(obj: Subject, current: string, signal: AbortSignal): Promise<void> {
    for (const s of this.d.managedSecrets.list(obj.metadata.namespace)) {
      if (s.metadata.name === current) continue;
      if (!s.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === obj.metadata.uid)) continue;
      await this.d.kube.delete(Secrets, s.metadata.name, obj.metadata.namespace, { preconditions: { uid: s.metadata.uid! }, signal });
      this.d.metrics.secretWrites.inc({ operation: 'delete' });
      this.d.events.record(obj, 'Normal', 'Deleted', `Secret "${s.metadata.name}" deleted: the manifest now names the Secret "${current}"`);
    }
  }

  /**
   * Ready=False with the real cause, a Warning event, the metrics. The Secret
   * is not touched. Retryable failures go back to the queue by throwing.
   */
  private async fail(obj: Subject, err: unknown, fallback: Reason, ctx: ReconcileContext): Promise<{ requeueAfterMs?: number }> {
    const { signal } = ctx;
    if (signal.aborted) throw err;
    const { name } = obj.metadata;
    const namespace = obj.metadata.namespace!;
    const reason = err instanceof SopsSecretError ? err.reason : fallback;
    const error = err instanceof HushError ? err : new InternalError(describeError(err), { cause: err });
    const message = err instanceof SopsSecretError ? error.message : `SopsSecret "${namespace}/${name}": ${error.message}`;
    if (reason !== Reasons.WriteFailed && reason !== Reasons.SecretConflict) this.d.metrics.sopsDecryptions.inc({ name, namespace, result: reason });
    this.d.metrics.reconcileErrors.inc({ controller: 'sopssecret', code: error.code });
    setConditionGauge(this.d.metrics.sopsCondition, { name, namespace }, 'False');
    this.d.events.record(obj, 'Warning', reason, message);
    this.d.logger.warn('reconcile failed', { namespace, name, reason, code: error.code, retryable: error.retryable, error: message });
    const now = new Date(this.now());
    const ready = withReady(obj.status, 'False', reason, message, obj.metadata.generation ?? 0, now);
    const progress = progressOf(error, failingSince(obj.status?.conditions), now, ctx.retryDelayMs);
    const status = { ...ready, conditions: withProgress(ready.conditions, progress, now) as typeof ready.conditions };
    try {
      await this.writeStatus(obj, status, signal);
    } catch (statusErr) {
      this.d.logger.warn('writing status failed', { namespace, name, error: describeError(statusErr) });
    }
    if (error.retryable) throw error;
    return {};
  }

  private async writeStatus(obj: Subject, status: NonNullable<SopsSecretObject['status']>, signal: AbortSignal): Promise<void> {
    if (sameStatus(obj.status, status)) return;
    await this.d.kube.patch(SopsSecrets, obj.metadata.name, obj.metadata.namespace, { status }, 'merge', { subresource: 'status', signal });
  }

  private forgetMetrics(namespace: string, name: string): void {
    for (const m of [this.d.metrics.sopsDecryptions, this.d.metrics.sopsCondition]) m.remove({ name, namespace });
  }
}
