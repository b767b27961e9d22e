/** Picks the auth method object for a parsed auth block. */
import { NotSupportedError } from '../../../util/errors.ts';
import type { GcpAuthSpec } from '../spec.ts';
import { defaultCredentialsAuth } from './default.ts';
import { serviceAccountKeyAuth } from './serviceaccountkey.ts';
import type { GcpAuthMethod } from './types.ts';
import { workloadIdentityAuth } from './workloadidentity.ts';

export function authMethodFor(spec: GcpAuthSpec): GcpAuthMethod {
  switch (spec.method) {
    case 'serviceAccountKey':
      return serviceAccountKeyAuth(spec.secretRef);
    case 'workloadIdentity':
      return workloadIdentityAuth(spec);
    case 'default':
      return defaultCredentialsAuth();
    case 'workloadIdentityFederation':
      return {
        name: 'workload identity federation',
        fetchToken: () => Promise.reject(new NotSupportedError('gcpsm: auth.workloadIdentityFederation is not supported by Hush yet; use auth.secretRef or auth.workloadIdentity')),
      };
  }
}
