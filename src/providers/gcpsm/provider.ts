/**
 * The gcpsm provider: Google Cloud Secret Manager, global or regional
 * secrets, through Google's gRPC client library.
 */
import { InvalidSpecError } from '../../util/errors.ts';
import type { Diagnostic, Provider, StoreClient, StoreContext } from '../types.ts';
import { isReferentUnresolved, type RefScope } from '../util/refs.ts';
import { SecretManagerApi } from './api.ts';
import { TokenHttp } from './auth/http.ts';
import { DEFAULT_CREDENTIALS_USE } from './auth/default.ts';
import { authMethodFor } from './auth/index.ts';
import { metadataValue } from './auth/metadata.ts';
import type { GcpAuthContext } from './auth/types.ts';
import { GcpsmStoreClient } from './client.ts';
import { gcpEndpoints } from './endpoints.ts';
import { AccessTokenSession } from './session.ts';
import { authRefNamespace, parseGcpsmSpec, ROOT } from './spec.ts';

export const gcpsmProvider: Provider = {
  name: 'gcpsm',
  metricsName: 'GCP/SecretManager',

  validateStore(spec: unknown): Diagnostic[] {
    return parseGcpsmSpec(spec).diagnostics;
  },

  async connect(ctx: StoreContext): Promise<StoreClient> {
    const { spec, diagnostics } = parseGcpsmSpec(ctx.spec);
    if (!spec) throw new InvalidSpecError(diagnostics.map((d) => `${d.field}: ${d.message}`).join('; '));
    const scope: RefScope = { storeKind: ctx.storeKind, namespace: ctx.namespace };
    const ref = authRefNamespace(spec);
    const referentUnresolved = ref !== undefined && isReferentUnresolved(scope, ref.namespace);
    // Before anything is read or sent (the metadata server's project lookup included): a store
    // refused the controller's identity fails here.
    if (spec.auth.method === 'default') ctx.credentials.requireAmbient(DEFAULT_CREDENTIALS_USE);

    const endpoints = gcpEndpoints(spec.location);
    const secrets = new Set<string>();
    const http = new TokenHttp(secrets, ctx.egress, ctx.maxResponseBytes);
    const authCtx: GcpAuthContext = {
      kube: ctx.kube,
      scope,
      credentials: ctx.credentials,
      endpoints,
      http,
      recordCall: (call, status) => ctx.recordCall(call, status),
      remember: (s) => {
        if (s.length >= 4) secrets.add(s);
      },
    };
    const session = new AccessTokenSession(authMethodFor(spec.auth), authCtx);
    let api: SecretManagerApi | undefined;
    try {
      // ESO: the secrets' project is projectID, else the cluster's project (workload identity), else the metadata server's.
      const wiProject = spec.auth.method === 'workloadIdentity' ? spec.auth.clusterProjectID : undefined;
      const project = spec.projectID ?? wiProject ?? (await metadataValue(authCtx, 'project/project-id', `${ROOT}.projectID`, ctx.signal));
      api = await SecretManagerApi.create({ endpoint: endpoints.secretManager, session, recordCall: (c, s) => ctx.recordCall(c, s), secrets, storeSignal: ctx.signal });
      const client = new GcpsmStoreClient({
        api,
        session,
        names: { project, location: spec.location },
        policy: spec.secretVersionSelectionPolicy,
        storeSignal: ctx.signal,
        referentUnresolved,
        onClose: () => http.close(),
      });
      // Get a token now, so a store with bad credentials fails at connect (ESO's "unable to get credentials").
      if (!referentUnresolved) await session.token(ctx.signal);
      return client;
    } catch (err) {
      http.close();
      await api?.close();
      throw err;
    }
  },
};
