import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HushError } from '../util/errors.ts';
import { DEFAULT_CREDENTIAL_POLICY, parseList, storeCredentialPolicy, type AmbientUse, type CredentialPolicyOptions, type StoreScope } from './ambient.ts';

const use: AmbientUse = { field: 'spec.provider.x.auth', credential: "the controller's own X identity", instead: 'spec.provider.x.auth.secretRef' };
const ss = (namespace: string): StoreScope => ({ storeKind: 'SecretStore', namespace });
const css: StoreScope = { storeKind: 'ClusterSecretStore', namespace: undefined };
/** A ClusterSecretStore used from an ExternalSecret's namespace (referent auth): still an administrator's store. */
const cssFrom = (namespace: string): StoreScope => ({ storeKind: 'ClusterSecretStore', namespace });
const policy = (o: Partial<CredentialPolicyOptions> = {}): CredentialPolicyOptions => ({ ...DEFAULT_CREDENTIAL_POLICY, ...o });

function refusal(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof HushError);
    assert.equal(err.code, 'PolicyRefused');
    assert.equal(err.retryable, false, 'a spec change or a restart with other flags fixes it: not retried');
    return err.message;
  }
}

test('decision table: who may use the controller\'s own identity', () => {
  const rows: [string, Partial<CredentialPolicyOptions>, StoreScope, boolean][] = [
    ['defaults: a ClusterSecretStore may', {}, css, true],
    ['defaults: a ClusterSecretStore used from a namespace may', {}, cssFrom('team-a'), true],
    ['defaults: a SecretStore may not', {}, ss('team-a'), false],
    ['--no-cluster-store-ambient-credentials: no ClusterSecretStore', { clusterStoreAmbient: false }, css, false],
    ['--no-cluster-store-ambient-credentials: not even from an allowed namespace', { clusterStoreAmbient: false, ambientNamespaces: ['team-a'] }, cssFrom('team-a'), false],
    ['--store-ambient-credentials: every SecretStore (ESO)', { storeAmbient: true }, ss('team-a'), true],
    ['--ambient-credentials-namespaces lists it', { ambientNamespaces: ['platform', 'team-a'] }, ss('team-a'), true],
    ['--ambient-credentials-namespaces lists others', { ambientNamespaces: ['platform'] }, ss('team-a'), false],
    ['namespace names match exactly, not by prefix', { ambientNamespaces: ['team'] }, ss('team-a'), false],
  ];
  for (const [name, o, scope, allowed] of rows) {
    const p = storeCredentialPolicy(policy(o), scope);
    assert.equal(p.ambientAllowed, allowed, name);
    assert.equal(refusal(() => p.requireAmbient(use)) === undefined, allowed, name);
  }
});

test('the refusal names the field to set and the flag that would allow it', () => {
  const forStore = refusal(() => storeCredentialPolicy(policy({ ambientNamespaces: ['platform'] }), ss('team-a')).requireAmbient(use));
  assert.equal(
    forStore,
    "spec.provider.x.auth: this store would use the controller's own X identity, and a namespaced SecretStore may not use the controller's own credentials; " +
      'set spec.provider.x.auth.secretRef, use a ClusterSecretStore, or ask the operator to start hush controller with ' +
      '--ambient-credentials-namespaces=platform,team-a (or --store-ambient-credentials for every namespace)',
  );
  const forCluster = refusal(() => storeCredentialPolicy(policy({ clusterStoreAmbient: false }), css).requireAmbient(use));
  assert.match(forCluster ?? '', /ClusterSecretStores may not use the controller's own credentials \(hush controller runs with --cluster-store-ambient-credentials=false\); set spec\.provider\.x\.auth\.secretRef, or restart hush controller with --cluster-store-ambient-credentials$/);
});

test('decision table: which ServiceAccount token audiences a store may ask for', () => {
  const rows: [string, Partial<CredentialPolicyOptions>, StoreScope, string[] | undefined, boolean][] = [
    ['defaults: no audiences (the API server\'s default), as Vault kubernetes auth asks', {}, ss('team-a'), undefined, true],
    ['defaults: an empty list is the same', {}, ss('team-a'), [], true],
    ['defaults: "vault", as Vault jwt auth asks', {}, ss('team-a'), ['vault'], true],
    ['defaults: sts.amazonaws.com is refused', {}, ss('team-a'), ['sts.amazonaws.com'], false],
    ['defaults: Azure\'s token exchange audience is refused', {}, ss('team-a'), ['api://AzureADTokenExchange'], false],
    ['defaults: one refused audience among allowed ones refuses the token', {}, ss('team-a'), ['vault', 'https://evil.example'], false],
    ['defaults: audiences compare exactly', {}, ss('team-a'), ['Vault'], false],
    ['--allowed-token-audiences adds one', { allowedTokenAudiences: ['vault', 'sts.amazonaws.com'] }, ss('team-a'), ['sts.amazonaws.com'], true],
    ['--allowed-token-audiences=* allows any (ESO)', { allowedTokenAudiences: ['*'] }, ss('team-a'), ['anything'], true],
    ['--no-allow-default-token-audience refuses a token without audiences', { allowDefaultTokenAudience: false }, ss('team-a'), undefined, false],
    ['--no-allow-default-token-audience keeps the listed ones', { allowDefaultTokenAudience: false }, ss('team-a'), ['vault'], true],
    ['an allowed namespace may ask for any', { ambientNamespaces: ['team-a'], allowDefaultTokenAudience: false }, ss('team-a'), ['sts.amazonaws.com'], true],
    ['a ClusterSecretStore may ask for any (its administrator chose them)', { allowedTokenAudiences: [] }, cssFrom('team-a'), ['sts.amazonaws.com'], true],
  ];
  for (const [name, o, scope, audiences, allowed] of rows) {
    const p = storeCredentialPolicy(policy(o), scope);
    assert.equal(refusal(() => p.checkTokenAudiences(audiences, 'spec.provider.vault.auth.jwt')) === undefined, allowed, name);
  }
});

test('an audience refusal names the field, the audience, what is allowed and the flag', () => {
  const msg = refusal(() => storeCredentialPolicy(policy(), ss('team-a')).checkTokenAudiences(['vault', 'sts.amazonaws.com'], 'aws auth.jwt.serviceAccountRef'));
  assert.equal(
    msg,
    'aws auth.jwt.serviceAccountRef: ServiceAccount token audience "sts.amazonaws.com" may not be minted for a SecretStore ' +
      '(allowed: the API server\'s default (no audiences), "vault"); use an allowed audience, use a ClusterSecretStore, ' +
      'or ask the operator to start hush controller with --allowed-token-audiences=vault,sts.amazonaws.com or --ambient-credentials-namespaces=team-a',
  );
  const noDefault = refusal(() => storeCredentialPolicy(policy({ allowDefaultTokenAudience: false }), ss('team-a')).checkTokenAudiences(undefined, 'kubernetes auth.serviceAccount'));
  assert.match(noDefault ?? '', /^kubernetes auth\.serviceAccount: a ServiceAccount token with the API server's default audience may not be minted for a SecretStore \(hush controller runs with --allow-default-token-audience=false\); set an allowed audience \("vault"\)/);
});

test('flag lists: comma-separated, trimmed, empty entries dropped', () => {
  assert.deepEqual(parseList(' a, b ,,c '), ['a', 'b', 'c']);
  assert.deepEqual(parseList(''), []);
  assert.deepEqual(parseList(undefined), []);
});
