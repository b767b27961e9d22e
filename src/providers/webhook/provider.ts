/**
 * The webhook provider: ESO's generic HTTP store. Each read renders the URL,
 * body and headers templates for the key, calls the endpoint, and picks the
 * value out of the answer with result.jsonPath.
 */
import { InvalidSpecError } from '../../util/errors.ts';
import type { Diagnostic, Provider, StoreClient, StoreContext } from '../types.ts';
import type { RefScope } from '../util/refs.ts';
import { resolveCa } from '../util/tls.ts';
import { WebhookStoreClient } from './client.ts';
import { parseWebhookSpec, ROOT } from './spec.ts';

export const webhookProvider: Provider = {
  name: 'webhook',
  metricsName: 'Webhook',

  validateStore(spec: unknown, storeKind: StoreContext['storeKind']): Diagnostic[] {
    return parseWebhookSpec(spec, storeKind).diagnostics;
  },

  async connect(ctx: StoreContext): Promise<StoreClient> {
    const { spec, diagnostics } = parseWebhookSpec(ctx.spec, ctx.storeKind);
    if (!spec) throw new InvalidSpecError(diagnostics.map((d) => `${d.field}: ${d.message}`).join('; '));
    const scope: RefScope = { storeKind: ctx.storeKind, namespace: ctx.namespace };
    // caBundle/caProvider are read once per client, like ESO's http.Client.
    const ca = await resolveCa(ctx.kube, scope, spec.caBundle, spec.caProvider, ROOT);
    return new WebhookStoreClient({ spec, kube: ctx.kube, scope, ca, recordCall: (call, status) => ctx.recordCall(call, status), egress: ctx.egress, maxResponseBytes: ctx.maxResponseBytes });
  },
};
