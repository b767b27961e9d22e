/**
 * SOPS jobs: what of decrypting a tenant's file is CPU work on tenant input
 * runs here, in a worker. The split with the main thread:
 *
 *   worker  sops.parse  parse the file (YAML/JSON/dotenv/INI: tenant text) and
 *                       try the age identities on its age master keys (X25519
 *                       work per stanza; the file decides how many there are)
 *   main    network     Vault transit / KMS unwrap of the other master keys,
 *                       with the caller's credentials, timeouts and HTTP policy
 *   worker  sops.open   parse again, decrypt every value, check the MAC, and
 *                       hand back the plain document as a JSON value
 *
 * Network calls stay on the main thread so that a slow Vault does not count
 * against the job's wall-clock limit (which is about runaway CPU, not I/O),
 * and so that they go through the same HTTP policy as every other call.
 * Parsing twice costs a second parse of a file that is at most ~1 MiB, in a
 * worker; keeping the parsed tree in the worker between jobs would tie the
 * two jobs to one thread.
 */
import { openWithKey } from '../sops/codec.ts';
import { unwrapAge } from '../sops/keys/age.ts';
import type { KeyContext } from '../sops/keys/index.ts';
import type { Metadata } from '../sops/metadata.ts';
import { parseEncrypted, stringifyPlain, type Format } from '../sops/stores/index.ts';
import { toWire, type WireError } from './wire.ts';

export interface SopsParseJob {
  text: string;
  format: Format;
  /** Only what age needs: the identities and the controller's key file (SOPS_AGE_KEY_FILE). */
  age: Pick<KeyContext, 'env' | 'home' | 'ageIdentities'>;
}

/** Per key group, per master key: the age result, or null for keys that are not age or were not tried. */
export type AgeOutcome = { part: Uint8Array } | { error: WireError } | null;

export interface SopsParseResult {
  metadata: Metadata;
  age: AgeOutcome[][];
}

export async function sopsParse(job: SopsParseJob): Promise<SopsParseResult> {
  const { metadata } = parseEncrypted(job.format, Buffer.from(job.text, 'utf8'));
  const ctx: KeyContext = { env: job.age.env, home: job.age.home, ageIdentities: job.age.ageIdentities ?? [] };
  const age: AgeOutcome[][] = [];
  for (const group of metadata.keyGroups) {
    const out: AgeOutcome[] = group.map(() => null);
    // In the order recoverDataKey asks (age keys first, in file order), stopping at the first that works.
    for (const [i, key] of group.entries()) {
      if (key.type !== 'age') continue;
      try {
        out[i] = { part: new Uint8Array(await unwrapAge(key, ctx)) };
        break;
      } catch (err) {
        out[i] = { error: toWire(err) };
      }
    }
    age.push(out);
  }
  return { metadata, age };
}

export interface SopsOpenJob {
  text: string;
  format: Format;
  dataKey: Uint8Array;
}

export interface SopsOpenResult {
  /** How many documents the file holds (a SopsSecret must hold one). */
  docs: number;
  /** The first document as a JSON value. */
  manifest: unknown;
}

export function sopsOpen(job: SopsOpenJob): SopsOpenResult {
  const file = parseEncrypted(job.format, Buffer.from(job.text, 'utf8'));
  const { docs } = openWithKey(file, Buffer.from(job.dataKey));
  return { docs: docs.length, manifest: docs.length === 0 ? null : (JSON.parse(stringifyPlain('json', docs).toString('utf8')) as unknown) };
}
