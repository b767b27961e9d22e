/**
 * Where the SDK clients send their calls. ESO reads one environment variable
 * per service (AWS_SECRETSMANAGER_ENDPOINT, AWS_SSM_ENDPOINT,
 * AWS_STS_ENDPOINT) so that tests and private endpoints can replace AWS; Hush
 * reads the same ones. Without them the SDK picks the regional endpoint (and
 * honours its own AWS_ENDPOINT_URL_* variables).
 */
import { InvalidConfigError } from '../../util/errors.ts';

export const endpointEnv = {
  secretsmanager: 'AWS_SECRETSMANAGER_ENDPOINT',
  ssm: 'AWS_SSM_ENDPOINT',
  sts: 'AWS_STS_ENDPOINT',
} as const;

export function endpointFromEnv(service: keyof typeof endpointEnv, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const name = endpointEnv[service];
  const v = env[name];
  if (!v) return undefined;
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new InvalidConfigError(`failed to parse ${service} endpoint from ${name}: must be an http(s) URL`);
  }
  return v;
}
