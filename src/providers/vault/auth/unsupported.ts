/** auth.iam and auth.gcp need cloud SDK flows Hush does not have yet; say so plainly instead of failing later. */
import { NotSupportedError } from '../../../util/errors.ts';
import type { VaultAuthMethod } from './types.ts';

export function unsupportedAuth(method: 'iam' | 'gcp'): VaultAuthMethod {
  return {
    name: method,
    staticToken: false,
    login(): Promise<never> {
      return Promise.reject(new NotSupportedError(`vault auth method ${method} is not supported yet`));
    },
  };
}
