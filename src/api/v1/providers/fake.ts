/**
 * `spec.provider.fake`: static key/value pairs in the store itself, for tests
 * and demos. Field names follow ESO's FakeProvider.
 */
import { array, integer, map, object, string, type Static } from '../../schema.ts';

export const fakeProvider = object({
  data: array(object({
    key: string({ description: 'Remote key.' }),
    value: string({ description: 'The value returned for this key.' }),
    valueMap: map(string(), { description: 'Deprecated: write a JSON object in value instead.' }),
    version: string({ description: 'Version this entry answers to; an empty version answers unversioned reads.' }),
  }, { required: ['key'] }), { description: 'The entries of the store.' }),
  validationResult: integer({ description: 'Store validation outcome to report: 0 Ready, 1 Unknown, 2 Error.' }),
}, { required: ['data'], description: 'A store whose values are written in the manifest.' });
export type FakeProvider = Static<typeof fakeProvider>;
