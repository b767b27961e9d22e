/**
 * The GCE/GKE metadata server: where ESO finds the project, the cluster's
 * name and location, and the node's default credentials when a store leaves
 * them out. Off Google Cloud it does not answer, and the caller's error says
 * which store field to set instead.
 */
import { HushError, InvalidConfigError } from '../../../util/errors.ts';
import type { GcpAuthContext } from './types.ts';

const METADATA_HEADERS = { 'metadata-flavor': 'Google' };

/** One metadata value (`project/project-id`, `instance/attributes/cluster-name`, ...). */
export async function metadataValue(ctx: GcpAuthContext, path: string, instead: string, signal: AbortSignal): Promise<string> {
  try {
    const v = await ctx.http.text({ url: `${ctx.endpoints.metadataUrl}/${path}`, method: 'GET', headers: METADATA_HEADERS, what: `metadata server lookup of ${path}`, signal, metadataServer: true });
    if (v === '') throw new InvalidConfigError(`gcpsm: the metadata server has no value for ${path}`);
    return v;
  } catch (err) {
    const why = err instanceof HushError ? err.message : String(err);
    throw new InvalidConfigError(`gcpsm: ${instead} is not set and the GCP metadata server could not tell it (${why})`, { cause: err });
  }
}

export { METADATA_HEADERS };
