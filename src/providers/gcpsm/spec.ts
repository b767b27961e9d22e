/**
 * spec.provider.gcpsm, read from the manifest into a typed form with ESO's
 * defaults and checks. Auth is chosen the way ESO chooses it: a service
 * account key (auth.secretRef) first, then workload identity, then workload
 * identity federation (not supported by Hush yet), then the default
 * credentials of the controller's environment.
 */
import type { Diagnostic } from '../types.ts';
import { Fields, type SecretKeyRef, type ServiceAccountRef } from '../util/spec.ts';

export const ROOT = 'spec.provider.gcpsm';

export type VersionSelectionPolicy = 'LatestOrFail' | 'LatestOrFetch';

export type GcpAuthSpec =
  | { method: 'serviceAccountKey'; secretRef: SecretKeyRef }
  | {
      method: 'workloadIdentity';
      serviceAccountRef: ServiceAccountRef;
      clusterLocation: string | undefined;
      clusterName: string | undefined;
      clusterProjectID: string | undefined;
    }
  | { method: 'workloadIdentityFederation' }
  | { method: 'default' };

export interface GcpsmSpec {
  /** Empty when not written: then the cluster project (workload identity) or the metadata server's. */
  projectID: string | undefined;
  /** Regional secrets: `projects/P/locations/L/secrets/...` on the regional endpoint. */
  location: string | undefined;
  secretVersionSelectionPolicy: VersionSelectionPolicy;
  auth: GcpAuthSpec;
}

export function parseGcpsmSpec(raw: unknown): { spec?: GcpsmSpec; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const f = Fields.of(diags, ROOT, raw);
  if (!f) return { diagnostics: diags };
  const projectID = f.str('projectID') || undefined;
  const location = f.str('location') || undefined;
  if (location !== undefined && !/^[a-z0-9-]+$/.test(location)) f.problem('location', 'must be a region name such as europe-west1');
  const policy = (f.str('secretVersionSelectionPolicy', { oneOf: ['LatestOrFail', 'LatestOrFetch'] }) ?? 'LatestOrFail') as VersionSelectionPolicy;
  const auth = parseAuth(f);
  if (auth?.method === 'serviceAccountKey' && projectID === undefined) {
    // ESO: static credentials never fall back to the metadata server for the project.
    f.problem('projectID', 'is required with auth.secretRef (unable to find ProjectID in storeSpec)');
  }
  if (diags.length > 0 || !auth) return { diagnostics: diags };
  return { spec: { projectID, location, secretVersionSelectionPolicy: policy, auth }, diagnostics: diags };
}

function parseAuth(f: Fields): GcpAuthSpec | undefined {
  const a = f.child('auth');
  if (!a) return { method: 'default' };
  if (a.has('secretRef')) {
    const s = a.child('secretRef');
    const ref = s?.secretRef('secretAccessKeySecretRef', { required: true });
    return ref && { method: 'serviceAccountKey', secretRef: ref };
  }
  if (a.has('workloadIdentity')) {
    const w = a.child('workloadIdentity');
    if (!w) return undefined;
    const sa = w.serviceAccountRef('serviceAccountRef', true);
    const clusterLocation = w.str('clusterLocation') || undefined;
    const clusterName = w.str('clusterName') || undefined;
    const clusterProjectID = w.str('clusterProjectID') || undefined;
    return sa && { method: 'workloadIdentity', serviceAccountRef: sa, clusterLocation, clusterName, clusterProjectID };
  }
  if (a.has('workloadIdentityFederation')) return { method: 'workloadIdentityFederation' };
  return { method: 'default' };
}

/** The namespace of the auth block's ref, for referent-auth detection; undefined when there is no ref. */
export function authRefNamespace(spec: GcpsmSpec): { namespace: string | undefined } | undefined {
  const a = spec.auth;
  if (a.method === 'serviceAccountKey') return { namespace: a.secretRef.namespace };
  if (a.method === 'workloadIdentity') return { namespace: a.serviceAccountRef.namespace };
  return undefined;
}
