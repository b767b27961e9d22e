/**
 * The store's credential chain: a base method (jwt before secretRef, else
 * the default chain — ESO's order), then each of additionalRoles, then role.
 * Every step is its own CredentialSession, so each set of credentials is
 * cached and refreshed on its own schedule.
 */
import type { AwsSpec } from '../spec.ts';
import { CredentialSession } from '../session.ts';
import { assumeRole } from './assumerole.ts';
import { defaultChain } from './defaultchain.ts';
import { staticKeys } from './static.ts';
import type { AuthContext, CredentialSource } from './types.ts';
import { webIdentity } from './webidentity.ts';

export interface StoreIdentity {
  storeName: string;
  storeKind: string;
  /** The ExternalSecret's namespace (SecretStore: the store's own). */
  namespace: string | undefined;
}

export function baseSource(spec: AwsSpec, ctx: AuthContext): CredentialSource {
  switch (spec.auth.method) {
    case 'jwt':
      return webIdentity(spec.auth.serviceAccountRef, ctx);
    case 'secretRef':
      return staticKeys(spec.auth, ctx);
    case 'default':
      return defaultChain(ctx);
  }
}

/** Session tags for `role`: sessionTags, plus the store's identity under sessionTagsPolicy Simple/Custom. */
export function roleTags(spec: AwsSpec, id: StoreIdentity): { key: string; value: string }[] {
  const tags = [...spec.sessionTags];
  if (spec.sessionTagsPolicy !== 'None') {
    if (id.namespace) tags.push({ key: 'esoNamespace', value: id.namespace });
    tags.push({ key: 'esoStoreName', value: id.storeName }, { key: 'esoStoreKind', value: id.storeKind });
    if (spec.sessionTagsPolicy === 'Custom') for (const [key, value] of Object.entries(spec.customSessionTags)) tags.push({ key, value });
  }
  return tags;
}

/** All sessions of the chain, base first; the last one signs the store's calls. */
export function credentialChain(spec: AwsSpec, ctx: AuthContext, id: StoreIdentity): CredentialSession[] {
  const sessions = [new CredentialSession(baseSource(spec, ctx), { storeSignal: ctx.storeSignal })];
  const last = (): CredentialSession => sessions[sessions.length - 1] as CredentialSession;
  for (const role of spec.additionalRoles) sessions.push(new CredentialSession(assumeRole(role, last(), ctx), { storeSignal: ctx.storeSignal }));
  if (spec.role) {
    const source = assumeRole(spec.role, last(), ctx, { externalID: spec.externalID, tags: roleTags(spec, id), transitiveTagKeys: spec.transitiveTagKeys });
    sessions.push(new CredentialSession(source, { storeSignal: ctx.storeSignal }));
  }
  return sessions;
}
