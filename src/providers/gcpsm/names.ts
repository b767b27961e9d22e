/** Secret Manager resource names, global or regional (spec.location), as ESO builds them. */

export interface NameConfig {
  project: string;
  location: string | undefined;
}

export function parentName(c: NameConfig): string {
  return c.location ? `projects/${c.project}/locations/${c.location}` : `projects/${c.project}`;
}

export function secretName(c: NameConfig, key: string): string {
  return `${parentName(c)}/secrets/${key}`;
}

export function versionName(c: NameConfig, key: string, version: string): string {
  return `${secretName(c, key)}/versions/${version}`;
}

/**
 * The key of a listed secret. The API answers with the project number where
 * users write the project id, so the project segment is skipped, not compared.
 */
export function keyOf(fullName: string): string {
  const m = /^projects\/[^/]+\/(?:locations\/[^/]+\/)?secrets\/(.+)$/.exec(fullName);
  return m ? (m[1] as string) : fullName;
}
