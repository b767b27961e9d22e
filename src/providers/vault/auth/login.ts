/** The login call every Vault auth method ends with: POST auth/<mount>/login[/<user>] → auth.client_token. */
import { AuthError } from '../../../util/errors.ts';
import { getOwn, isJsonObject, JsonNumber, type JsonValue } from '../../util/gojson.ts';
import type { AuthContext, LoginResult } from './types.ts';

export async function vaultLogin(ctx: AuthContext, path: string, body: Record<string, unknown>, signal: AbortSignal): Promise<LoginResult> {
  const action = `login ${path}`;
  let answer;
  try {
    answer = await ctx.api.send({ method: 'POST', path, json: body, namespace: ctx.namespace, signal });
  } catch (err) {
    ctx.recordCall('Login', 'error');
    throw ctx.api.toHushError(err, action, 'login');
  }
  if (answer.status === 404) {
    ctx.recordCall('Login', 'error');
    throw new AuthError(`vault: ${action}: no such auth mount or route (404)`);
  }
  const result = loginResult(answer.body);
  if (!result) {
    ctx.recordCall('Login', 'error');
    throw new AuthError(`vault: ${action}: the answer has no client token`);
  }
  ctx.recordCall('Login', 'success');
  ctx.remember(result.token);
  return result;
}

/** Reads `auth` from a login or renew answer. */
export function loginResult(body: JsonValue | undefined): LoginResult | undefined {
  if (!isJsonObject(body)) return undefined;
  const auth = getOwn(body, 'auth');
  if (!isJsonObject(auth)) return undefined;
  const token = getOwn(auth, 'client_token');
  if (typeof token !== 'string' || token === '') return undefined;
  const lease = getOwn(auth, 'lease_duration');
  return {
    token,
    ttlSeconds: lease instanceof JsonNumber ? Math.max(0, Math.floor(lease.toFloat())) : 0,
    renewable: getOwn(auth, 'renewable') === true,
  };
}
