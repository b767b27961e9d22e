/**
 * age key source: the data key is encrypted to one recipient per metadata
 * entry, as an armored age file (what `sops` writes and reads). Identities
 * come from SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the user
 * keys file (`$XDG_CONFIG_HOME/sops/age/keys.txt`, else `~/.config/...`),
 * plus any given directly (Flux `.agekey` Secret entries).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { armor, Decrypter, Encrypter } from 'age-encryption';
import { AuthError, InvalidConfigError, InvalidDataError, NotSupportedError } from '../../util/errors.ts';
import type { AgeKey } from '../metadata.ts';
import type { KeyContext } from './types.ts';

const execFileAsync = promisify(execFile);

/** Checks a recipient string and returns it trimmed; SSH and plugin recipients are refused. */
export function parseAgeRecipient(r: string): string {
  const s = r.trim();
  if (s.startsWith('ssh-')) throw new NotSupportedError(`age SSH recipients are not supported yet (${s.slice(0, 20)}…)`);
  if (/^age1[a-z0-9]+1/.test(s) && !s.startsWith('age1pq1') && !s.startsWith('age1tag1') && !s.startsWith('age1tagpq1')) {
    throw new NotSupportedError(`age plugin recipients are not supported (${s.slice(0, 20)}…)`);
  }
  if (!/^age1(pq1|tag1|tagpq1)?[02-9ac-hj-np-z]+$/.test(s)) throw new InvalidConfigError(`${JSON.stringify(s.slice(0, 30))} is not an age recipient`);
  return s;
}

export async function wrapAge(recipient: string, dataKey: Uint8Array): Promise<AgeKey> {
  const r = parseAgeRecipient(recipient);
  const e = new Encrypter();
  try {
    e.addRecipient(r);
  } catch (err) {
    throw new InvalidConfigError(`invalid age recipient ${r.slice(0, 20)}…: ${(err as Error).message}`);
  }
  const file = await e.encrypt(dataKey);
  return { type: 'age', recipient: r, enc: armor.encode(file) };
}

/** Identity lines in a keys file: one per line, `#` comments and blank lines skipped. */
export function parseIdentityLines(text: string, manyPerLine: boolean): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = manyPerLine ? raw : raw.trim();
    if (line.trim() === '' || line.startsWith('#')) continue;
    for (const word of manyPerLine ? line.split(/\s+/).filter(Boolean) : [line]) {
      if (!/^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(word)) {
        if (word.startsWith('AGE-PLUGIN-')) throw new NotSupportedError('age plugin identities are not supported');
        throw new InvalidConfigError('an age identity is malformed (expected AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…)');
      }
      out.push(word);
    }
  }
  return out;
}

export interface LoadedIdentities {
  identities: string[];
  /** Where we looked, for the "no identity" error. */
  searched: string[];
}

export async function loadAgeIdentities(ctx: KeyContext, recipient = ''): Promise<LoadedIdentities> {
  const ids: string[] = [...(ctx.ageIdentities ?? [])];
  const searched: string[] = [];
  const env = ctx.env;
  if (env.SOPS_AGE_KEY !== undefined) ids.push(...parseIdentityLines(env.SOPS_AGE_KEY, true));
  else searched.push('SOPS_AGE_KEY');
  if (env.SOPS_AGE_KEY_FILE !== undefined) {
    let text: string;
    try {
      text = await readFile(env.SOPS_AGE_KEY_FILE, 'utf8');
    } catch (err) {
      throw new InvalidConfigError(`cannot read SOPS_AGE_KEY_FILE ${env.SOPS_AGE_KEY_FILE}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    ids.push(...parseIdentityLines(text, false));
  } else searched.push('SOPS_AGE_KEY_FILE');
  if (env.SOPS_AGE_KEY_CMD !== undefined) {
    try {
      const { stdout } = await execFileAsync('/bin/sh', ['-c', env.SOPS_AGE_KEY_CMD], {
        env: { ...env, SOPS_AGE_RECIPIENT: recipient },
        timeout: 30_000,
        maxBuffer: 1 << 20,
      });
      ids.push(...parseIdentityLines(stdout, false));
    } catch (err) {
      if (err instanceof InvalidConfigError) throw err;
      throw new InvalidConfigError('SOPS_AGE_KEY_CMD failed', { cause: err });
    }
  } else searched.push('SOPS_AGE_KEY_CMD');
  const configDir = env.XDG_CONFIG_HOME || (ctx.home ? join(ctx.home, '.config') : '');
  if (configDir) {
    const path = join(configDir, 'sops', 'age', 'keys.txt');
    try {
      ids.push(...parseIdentityLines(await readFile(path, 'utf8'), false));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      searched.push(path);
    }
  }
  return { identities: ids, searched };
}

export async function unwrapAge(key: AgeKey, ctx: KeyContext): Promise<Buffer> {
  const { identities, searched } = await loadAgeIdentities(ctx, key.recipient);
  if (identities.length === 0) {
    throw new AuthError(`no age identity found (looked in ${searched.join(', ')})`);
  }
  let file: Uint8Array;
  try {
    file = armor.decode(key.enc);
  } catch (err) {
    throw new InvalidDataError(`the age-wrapped data key is not a valid armored age file: ${(err as Error).message}`);
  }
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  try {
    return Buffer.from(await d.decrypt(file));
  } catch (err) {
    const msg = (err as Error).message;
    if (/no identity matched/i.test(msg)) throw new AuthError('none of the age identities can decrypt this key');
    throw new InvalidDataError(`age decryption failed: ${msg}`);
  }
}
