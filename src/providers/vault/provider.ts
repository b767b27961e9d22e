/**
 * The vault provider (HashiCorp Vault and OpenBao, which ESO also drives
 * through `spec.provider.vault`).
 */
import { InvalidSpecError } from '../../util/errors.ts';
import type { Diagnostic, Provider, StoreClient, StoreContext } from '../types.ts';
import { tryParseGoDuration } from '../../util/duration.ts';
import { HttpClient } from '../util/http.ts';
import { isReferentUnresolved, type RefScope } from '../util/refs.ts';
import { isObj } from '../util/spec.ts';
import { resolveCa, resolveClientCert } from '../util/tls.ts';
import { VaultApi } from './api.ts';
import { readCertAuthKeyPair } from './auth/cert.ts';
import { authMethodFor } from './auth/index.ts';
import type { AuthContext } from './auth/types.ts';
import type { AuditHub } from './audit/hub.ts';
import { VaultStoreClient } from './client.ts';
import { TokenSession } from './session.ts';
import { authRefNamespaces, parseVaultSpec, ROOT } from './spec.ts';

/** vault api's defaults: 2 retries, waits of 1–1.5 s. */
const DEFAULT_RETRIES = 2;
const DEFAULT_RETRY_WAIT_MS = 1000;

export interface VaultProviderOptions {
  /** Where the controller's own ServiceAccount token is mounted (auth.kubernetes without serviceAccountRef or secretRef); tests point it elsewhere. */
  mountedTokenPath?: string;
  /**
   * Writes seen by the controller's audit-device listener (--vault-audit-listen-addr,
   * docs/vault-audit-socket.md). Stores then offer `changes.subscribe`; without it they are polled.
   */
  auditFeed?: AuditHub;
}

export function createVaultProvider(options: VaultProviderOptions = {}): Provider {
  return {
    name: 'vault',
    metricsName: 'HashiCorp/Vault',

    validateStore(spec: unknown, storeKind: StoreContext['storeKind']): Diagnostic[] {
      return parseVaultSpec(spec, storeKind).diagnostics;
    },

    async connect(ctx: StoreContext): Promise<StoreClient> {
      const { spec, diagnostics } = parseVaultSpec(ctx.spec, ctx.storeKind);
      if (!spec) throw new InvalidSpecError(diagnostics.map((d) => `${d.field}: ${d.message}`).join('; '));
      const scope: RefScope = { storeKind: ctx.storeKind, namespace: ctx.namespace };
      const referentUnresolved = authRefNamespaces(spec).some((ns) => isReferentUnresolved(scope, ns));
      const method = spec.auth ? authMethodFor(spec.auth, options) : undefined;
      // Before anything is read or sent: a store refused the controller's identity fails here.
      if (method?.ambient) ctx.credentials.requireAmbient(method.ambient);

      // TLS material must be known before the first connection is opened.
      const ca = await resolveCa(ctx.kube, scope, spec.caBundle, spec.caProvider, ROOT);
      let clientCert: { cert: string; key: string } | undefined;
      if (spec.auth?.method === 'cert' && !referentUnresolved) clientCert = await readCertAuthKeyPair(ctx.kube, scope, spec.auth);
      else if (spec.clientTls) clientCert = await resolveClientCert(ctx.kube, scope, spec.clientTls.certSecretRef, spec.clientTls.keySecretRef, `${ROOT}.tls`);

      const http = new HttpClient(spec.server, { ca, cert: clientCert?.cert, key: clientCert?.key, headers: spec.headers, egress: ctx.egress, maxResponseBytes: ctx.maxResponseBytes });
      const sent = new Set<string>();
      const { maxRetries, retryWaitMs } = retrySettings(ctx.storeSpec);
      const api = new VaultApi(http, {
        namespace: spec.namespace,
        readYourWrites: spec.readYourWrites,
        forwardInconsistent: spec.forwardInconsistent,
        maxRetries,
        retryWaitMs,
        sentSecrets: () => sent,
      });
      const authCtx: AuthContext = {
        api,
        kube: ctx.kube,
        scope,
        credentials: ctx.credentials,
        namespace: spec.auth?.namespace ?? spec.namespace,
        recordCall: (call, status) => ctx.recordCall(call, status),
        remember: (s) => {
          if (s.length >= 4) sent.add(s);
        },
      };
      const session = new TokenSession(method, authCtx);
      const client = new VaultStoreClient({ spec, http, api, session, recordCall: ctx.recordCall.bind(ctx), storeSignal: ctx.signal, referentUnresolved, auditFeed: options.auditFeed });
      if (!referentUnresolved) {
        try {
          // Log in now, so a store with bad credentials fails at connect (ESO's "unable to create client").
          await session.token(ctx.signal);
        } catch (err) {
          await client.close();
          throw err;
        }
      }
      return client;
    },
  };
}

export const vaultProvider: Provider = createVaultProvider();

/** ESO: 2 retries unless spec.retrySettings exists, then its maxRetries (0 when unset). */
function retrySettings(storeSpec: Record<string, unknown>): { maxRetries: number; retryWaitMs: number } {
  const rs = storeSpec.retrySettings;
  if (!isObj(rs)) return { maxRetries: DEFAULT_RETRIES, retryWaitMs: DEFAULT_RETRY_WAIT_MS };
  const max = typeof rs.maxRetries === 'number' && rs.maxRetries >= 0 ? Math.floor(rs.maxRetries) : 0;
  const wait = typeof rs.retryInterval === 'string' ? tryParseGoDuration(rs.retryInterval) : undefined;
  return { maxRetries: max, retryWaitMs: wait !== undefined && wait >= 0 ? wait : DEFAULT_RETRY_WAIT_MS };
}
