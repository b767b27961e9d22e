import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAwsSpec } from './spec.ts';

const fields = (raw: unknown): string[] => parseAwsSpec(raw, 'SecretStore').diagnostics.map((d) => `${d.field}: ${d.message}`);

describe('spec.provider.aws', () => {
  it('needs service and region, and names the field of each problem', () => {
    assert.deepEqual(fields({}), ['spec.provider.aws.service: is required', 'spec.provider.aws.region: is required']);
    assert.deepEqual(fields({ service: 'KMS', region: 'us-east-1' }), ['spec.provider.aws.service: must be one of SecretsManager, ParameterStore']);
    assert.deepEqual(fields({ service: 'SecretsManager', region: 'us east 1' }), ['spec.provider.aws.region: region not found: us east 1']);
  });

  it('auth: jwt before secretRef (ESO order), the default chain without either; refs are checked', () => {
    const jwt = parseAwsSpec({ service: 'SecretsManager', region: 'eu-west-1', auth: { jwt: { serviceAccountRef: { name: 'sa' } }, secretRef: {} } }, 'SecretStore');
    assert.equal(jwt.spec?.auth.method, 'jwt');
    assert.equal(parseAwsSpec({ service: 'ParameterStore', region: 'eu-west-1' }, 'SecretStore').spec?.auth.method, 'default');
    assert.deepEqual(fields({ service: 'SecretsManager', region: 'eu-west-1', auth: { secretRef: { accessKeyIDSecretRef: { name: 'k' } } } }), [
      'spec.provider.aws.auth.secretRef.accessKeyIDSecretRef.key: is required',
      'spec.provider.aws.auth.secretRef.secretAccessKeySecretRef: is required',
    ]);
  });

  it('reads roles, external ID, session tags and prefix', () => {
    const { spec } = parseAwsSpec(
      {
        service: 'SecretsManager',
        region: 'eu-west-1',
        role: 'arn:r',
        additionalRoles: ['arn:a', 'arn:b'],
        externalID: 'x',
        sessionTags: [{ key: 'team', value: 'pay' }],
        transitiveTagKeys: ['team'],
        prefix: 'app/',
      },
      'SecretStore',
    );
    assert.deepEqual(
      { role: spec?.role, extra: spec?.additionalRoles, ext: spec?.externalID, tags: spec?.sessionTags, trans: spec?.transitiveTagKeys, prefix: spec?.prefix },
      { role: 'arn:r', extra: ['arn:a', 'arn:b'], ext: 'x', tags: [{ key: 'team', value: 'pay' }], trans: ['team'], prefix: 'app/' },
    );
  });

  it('rejects the secretsManager delete settings ESO rejects', () => {
    assert.deepEqual(fields({ service: 'SecretsManager', region: 'eu-west-1', secretsManager: { forceDeleteWithoutRecovery: true, recoveryWindowInDays: 7 } }), [
      'spec.provider.aws.secretsManager: forceDeleteWithoutRecovery and recoveryWindowInDays cannot be set together',
    ]);
    assert.deepEqual(fields({ service: 'SecretsManager', region: 'eu-west-1', secretsManager: { recoveryWindowInDays: 3 } }), [
      'spec.provider.aws.secretsManager.recoveryWindowInDays: must be between 7 and 30 days',
    ]);
  });
});
