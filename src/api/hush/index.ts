/** Hush's own API group (secrets.hush.dev): types, schemas and group constants. */
export { hushGroup, hushVersion, hushApiVersion, hushCategory, hushCrdLabels, hushGroupDefinition } from './group.ts';
export * from './v1alpha1/sopssecret.ts';
