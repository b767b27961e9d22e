/**
 * The egress allowance tests get: the same one `hush dev env` exports
 * (HUSH_EGRESS_ALLOW=127.0.0.1/32,::1/128), read the same way the controller
 * reads it, so tests against loopback servers pass the real guard rather than
 * skipping it.
 */
import { EgressPolicy, type EgressScope } from '../egress.ts';
import { EgressGuard } from '../guard.ts';
import { DEV_EGRESS_ALLOW } from '../egress.ts';

export function devEgressPolicy(): EgressPolicy {
  return EgressPolicy.fromEnv({ HUSH_EGRESS_ALLOW: DEV_EGRESS_ALLOW });
}

export function devEgress(scope: EgressScope = 'tenant'): EgressGuard {
  return new EgressGuard(devEgressPolicy(), scope);
}
