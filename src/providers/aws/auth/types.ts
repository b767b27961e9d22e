/** What the AWS auth methods share: credentials, and what a method may use to get them. */
import type { StoreCredentialPolicy } from '../../ambient.ts';
import type { EgressGuard } from '../../../net/guard.ts';
import type { ProviderKubeAccess } from '../../types.ts';
import type { RefScope } from '../../util/refs.ts';
import type { AwsCaller } from '../caller.ts';

import type { AwsCredentials, CredentialProvider } from '../../../cloud/aws/credentials.ts';

export type { AwsCredentials, CredentialProvider };

/** One way to obtain credentials: static keys, web identity, the default chain, or a role assumed with other credentials. */
export interface CredentialSource {
  /** For messages: "secretRef", "jwt", "default chain", "role arn:aws:iam::…". */
  readonly name: string;
  obtain(signal: AbortSignal | undefined): Promise<AwsCredentials>;
}

export interface AuthContext {
  kube: ProviderKubeAccess;
  scope: RefScope;
  /** May this store use the controller's own identity (see ambient.ts). */
  credentials: StoreCredentialPolicy;
  region: string;
  caller: AwsCaller;
  /** STS endpoint override (AWS_STS_ENDPOINT), else the SDK's regional endpoint. */
  stsEndpoint: string | undefined;
  /** How long one AWS request may take (tests shorten it). */
  requestTimeoutMs?: number | undefined;
  /** The store's egress guard; STS calls connect through it. */
  egress?: EgressGuard | undefined;
  /** Registers a credential so that it is cut out of any error text. */
  remember(secret: string | undefined): void;
  /** Aborted when the store goes away: STS calls use it so one cancelled read cannot fail everyone's refresh. */
  storeSignal: AbortSignal;
}

/**
 * Reading a ServiceAccount's annotations, which web identity needs for
 * `eks.amazonaws.com/role-arn`. Not (yet) part of ProviderKubeAccess: the
 * controller's access object may offer it; see webidentity.ts.
 */
export interface ServiceAccountReader {
  readServiceAccount(ref: { name: string; namespace?: string | undefined }): Promise<{ annotations: Record<string, string> }>;
}
