import type { AzureAuthType } from '../spec.ts';
import { managedIdentity } from './managedIdentity.ts';
import { servicePrincipal } from './servicePrincipal.ts';
import type { AzureAuthMethod } from './types.ts';
import { workloadIdentity } from './workloadIdentity.ts';

export function authMethodFor(type: AzureAuthType): AzureAuthMethod {
  switch (type) {
    case 'ServicePrincipal':
      return servicePrincipal;
    case 'ManagedIdentity':
      return managedIdentity;
    case 'WorkloadIdentity':
      return workloadIdentity;
  }
}
