/**
 * `spec.provider` of SecretStore and ClusterSecretStore: a union of every
 * provider key ESO accepts, so that any ESO store manifest applies. Providers
 * Hush implements have full schemas; the others keep their content as written
 * (`x-kubernetes-preserve-unknown-fields`) and the store controller reports
 * them as not supported yet.
 */
import { oneOfKeys, preserveUnknown, type Static, type TSchema } from '../../schema.ts';
import { fakeProvider } from './fake.ts';
import { kubernetesProvider } from './kubernetes.ts';
import { vaultProvider } from './vault.ts';

/** Providers Hush implements. */
export const implementedProviderKeys = ['vault', 'kubernetes', 'fake'] as const;

/**
 * Every key of ESO's SecretStoreProvider (v1, as of ESO 2.9), in ESO's order.
 * The last two were removed in ESO 2.0; they are still accepted so that old
 * v1beta1 manifests apply, and reported as not supported.
 */
export const providerKeys = [
  'aws', 'azurekv', 'akeyless', 'bitwardensecretsmanager', 'vault', 'ovh', 'gcpsm', 'oracle', 'ibm',
  'yandexcertificatemanager', 'yandexlockbox', 'github', 'gitlab', 'onepassword', 'onepasswordSDK',
  'webhook', 'kubernetes', 'fake', 'senhasegura', 'scaleway', 'doppler', 'previder', 'onboardbase',
  'keepersecurity', 'conjur', 'delinea', 'secretserver', 'chef', 'pulumi', 'fortanix', 'passworddepot',
  'passbolt', 'dvls', 'infisical', 'beyondtrust', 'beyondtrustworkloadcredentials', 'cloudrusm',
  'volcengine', 'ngrok', 'barbican', 'nebiusmysterybox',
  'alibaba', 'device42',
] as const;
export type ProviderKey = (typeof providerKeys)[number];

/** Keys ESO itself no longer accepts (removed in ESO 2.0). */
export const removedProviderKeys: readonly ProviderKey[] = ['alibaba', 'device42'];

export function isImplementedProvider(key: string): key is (typeof implementedProviderKeys)[number] {
  return (implementedProviderKeys as readonly string[]).includes(key);
}

/** Human names for status messages. */
const providerTitles: Partial<Record<ProviderKey, string>> = {
  aws: 'AWS Secrets Manager / Parameter Store',
  gcpsm: 'Google Cloud Secret Manager',
  azurekv: 'Azure Key Vault',
  webhook: 'Webhook',
  vault: 'HashiCorp Vault / OpenBao',
  kubernetes: 'Kubernetes',
  fake: 'Fake',
};

function notYet(key: ProviderKey) {
  const title = providerTitles[key] ?? key;
  return preserveUnknown({ description: `${title}: accepted as written; not supported by Hush yet.` });
}

type Implemented = {
  vault: typeof vaultProvider;
  kubernetes: typeof kubernetesProvider;
  fake: typeof fakeProvider;
};
type ProviderProps = Implemented & Record<Exclude<ProviderKey, keyof Implemented>, TSchema<Record<string, unknown>>>;

function providerProperties(): ProviderProps {
  const props: Record<string, TSchema> = {};
  for (const key of providerKeys) props[key] = notYet(key);
  // aws, gcpsm, azurekv and webhook get full schemas here when Hush implements them.
  props.vault = vaultProvider;
  props.kubernetes = kubernetesProvider;
  props.fake = fakeProvider;
  return props as ProviderProps;
}

export const storeProvider = oneOfKeys(providerProperties(), {
  description: 'The secret store to use: exactly one provider key.',
});
export type StoreProvider = Static<typeof storeProvider>;

/** The one provider key set in a store's `spec.provider`, or undefined if there is none or more than one. */
export function providerKeyOf(provider: Record<string, unknown> | undefined): string | undefined {
  if (provider === undefined || provider === null) return undefined;
  const keys = Object.keys(provider).filter((k) => provider[k] !== undefined && provider[k] !== null);
  return keys.length === 1 ? keys[0] : undefined;
}

export { fakeProvider, kubernetesProvider, vaultProvider };
