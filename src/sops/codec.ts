/**
 * The SOPS codec's public operations on whole files: encrypt, decrypt (with
 * MAC check), re-encrypt after a change keeping unchanged ciphertext, rotate
 * the data key, and re-wrap it for a new set of keys. Pure functions of bytes
 * in and bytes out, apart from the key services they call.
 */
import { randomBytes } from 'node:crypto';
import { HushError, InvalidDataError, InvalidSpecError } from '../util/errors.ts';
import { AlreadyEncryptedError, DataKeyError, MacMismatchError } from './errors.ts';
import { ValueCipher } from './cipher.ts';
import { decryptDocuments, decryptMac, encryptDocuments, encryptMac } from './crypt.ts';
import type { KeyContext } from './keys/index.ts';
import { unwrapKey, wrapKey } from './keys/index.ts';
import type { KeyGroup, MasterKey, Metadata } from './metadata.ts';
import { describeKey, normalizeRfc3339, nowRfc3339, SOPS_FORMAT_VERSION } from './metadata.ts';
import type { EncryptionRule } from './rules.ts';
import { compileRule, DEFAULT_RULE } from './rules.ts';
import { combineShares, splitSecret } from './shamir.ts';
import type { EncryptedFile, Format } from './stores/index.ts';
import { hasSopsMetadata, parseEncrypted, parsePlain, stringifyEncrypted, stringifyPlain } from './stores/index.ts';
import type { MapNode } from './tree.ts';

export interface EncryptSettings {
  /** Master key templates (enc empty), one list per key group. */
  keyGroups: KeyGroup[];
  /** 0 or undefined: the number of groups. */
  shamirThreshold?: number;
  rule?: EncryptionRule;
  macOnlyEncrypted?: boolean;
}

/** A decrypted file, kept with what is needed to write it back encrypted. */
export interface OpenedFile {
  docs: MapNode[];
  metadata: Metadata;
  dataKey: Buffer;
  /** Remembers the IVs of decrypted values, so unchanged values re-encrypt identically. */
  cipher: ValueCipher;
  /** Comments that looked encrypted but could not be decrypted (paths). */
  undecryptableComments: string[];
}

// --- data key -------------------------------------------------------------

async function wrapForGroups(groups: KeyGroup[], dataKey: Buffer, threshold: number, ctx: KeyContext): Promise<{ groups: KeyGroup[]; threshold: number }> {
  if (groups.length === 0 || groups.every((g) => g.length === 0)) {
    throw new InvalidSpecError('no master keys were given: name at least one age recipient, Vault transit key or KMS key');
  }
  if (groups.some((g) => g.length === 0)) throw new InvalidSpecError('a key group is empty');
  let parts: Buffer[];
  let t = 0;
  if (groups.length === 1) parts = [dataKey];
  else {
    t = threshold > 0 ? threshold : groups.length;
    if (t > groups.length) throw new InvalidSpecError(`the Shamir threshold ${t} is larger than the number of key groups (${groups.length})`);
    parts = splitSecret(dataKey, groups.length, t);
  }
  const wrapped = await Promise.all(groups.map((g, i) => Promise.all(g.map((k) => wrapKey(k, parts[i]!, ctx)))));
  return { groups: wrapped, threshold: t };
}

/** The key types tried first, as in sops' default decryption order. */
const DECRYPTION_ORDER: Record<string, number> = { age: 0, pgp: 1 };

/** How one master key gives back its part of the data key (a seam: the controller unwraps age keys in a worker). */
export type Unwrap = (key: MasterKey, ctx: KeyContext) => Promise<Buffer>;

async function unwrapGroup(group: KeyGroup, ctx: KeyContext, unwrap: Unwrap): Promise<{ part?: Buffer; errors: string[] }> {
  const errors: string[] = [];
  const ordered = [...group].sort((a, b) => (DECRYPTION_ORDER[a.type] ?? 2) - (DECRYPTION_ORDER[b.type] ?? 2));
  for (const key of ordered) {
    try {
      return { part: await unwrap(key, ctx), errors };
    } catch (err) {
      errors.push(`${describeKey(key)}: ${err instanceof HushError ? err.message : 'failed'}`);
    }
  }
  return { errors };
}

/** Recovers the data key from the metadata, trying each master key. */
export async function recoverDataKey(md: Metadata, ctx: KeyContext, unwrap: Unwrap = unwrapKey): Promise<Buffer> {
  const results = [];
  for (const g of md.keyGroups) results.push(await unwrapGroup(g, ctx, unwrap));
  const parts = results.flatMap((r) => (r.part ? [r.part] : []));
  const detail = results.map((r, i) => (r.part ? `group ${i + 1}: ok` : `group ${i + 1}: ${r.errors.join('; ') || 'no keys'}`)).join(' | ');
  let key: Buffer;
  if (md.keyGroups.length > 1) {
    const threshold = md.shamirThreshold > 0 ? md.shamirThreshold : md.keyGroups.length;
    if (parts.length < threshold) {
      throw new DataKeyError(`cannot get the data key: ${parts.length} of the ${threshold} key groups needed could be decrypted (${detail})`);
    }
    // A share is the 32-byte data key's polynomial values plus the x coordinate. Checked before
    // combining: the parts come from the file, and their length would set the work.
    const bad = parts.findIndex((p) => p.length !== 33);
    if (bad >= 0) throw new InvalidDataError(`Shamir share ${bad + 1}: a share of the data key must be 33 bytes, not ${parts[bad]!.length} (wrong key or corrupted metadata)`);
    key = combineShares(parts);
  } else {
    if (!parts[0]) throw new DataKeyError(`cannot get the data key: no master key could decrypt it (${detail})`);
    key = parts[0];
  }
  if (key.length !== 32) throw new InvalidDataError('the recovered data key is not 32 bytes (wrong key or corrupted metadata)');
  return key;
}

// --- encrypt ---------------------------------------------------------------

function settingsRule(md: Pick<Metadata, 'rule' | 'macOnlyEncrypted'>): { shouldEncrypt: ReturnType<typeof compileRule>; macOnlyEncrypted: boolean } {
  return { shouldEncrypt: compileRule(md.rule), macOnlyEncrypted: md.macOnlyEncrypted };
}

/** Encrypts documents under `cipher` and seals the result with a fresh MAC and `lastmodified`. */
export function seal(docs: readonly MapNode[], metadata: Omit<Metadata, 'mac' | 'lastModified'>, cipher: ValueCipher, now = new Date()): EncryptedFile {
  const { docs: encrypted, mac } = encryptDocuments(docs, cipher, settingsRule(metadata));
  const lastModified = nowRfc3339(now);
  return { docs: encrypted, metadata: { ...metadata, lastModified, mac: encryptMac(cipher, mac, lastModified) } };
}

/** Encrypts plain documents with a new data key. */
export async function encryptDocs(docs: MapNode[], settings: EncryptSettings, ctx: KeyContext, now = new Date()): Promise<EncryptedFile> {
  const dataKey = randomBytes(32);
  const rule = settings.rule ?? DEFAULT_RULE;
  compileRule(rule); // reject a bad regular expression before any key service is called
  const { groups, threshold } = await wrapForGroups(settings.keyGroups, dataKey, settings.shamirThreshold ?? 0, ctx);
  return seal(
    docs,
    { keyGroups: groups, shamirThreshold: threshold, rule, macOnlyEncrypted: settings.macOnlyEncrypted ?? false, version: SOPS_FORMAT_VERSION },
    new ValueCipher(dataKey),
    now,
  );
}

/** Encrypts a plain file's bytes. */
export async function encryptFile(data: Buffer, format: Format, settings: EncryptSettings, ctx: KeyContext, outputFormat: Format = format): Promise<Buffer> {
  const docs = parsePlain(format, data);
  if (format !== 'binary' && hasSopsMetadata(format, docs)) throw new AlreadyEncryptedError('the file is already encrypted (it has sops metadata)');
  return stringifyEncrypted(outputFormat, await encryptDocs(docs, settings, ctx));
}

// --- decrypt ---------------------------------------------------------------

export interface OpenOptions {
  /** Skip the MAC check (sops --ignore-mac). */
  ignoreMac?: boolean;
}

/** Decrypts an encrypted file's documents, checking the MAC unless told not to. */
export async function openFile(data: Buffer, format: Format, ctx: KeyContext, opts: OpenOptions = {}): Promise<OpenedFile> {
  const { docs, metadata } = parseEncrypted(format, data);
  const dataKey = await recoverDataKey(metadata, ctx);
  return openWithKey({ docs, metadata }, dataKey, opts);
}

/** Decrypts with a known data key (the MAC check included). */
export function openWithKey(file: EncryptedFile, dataKey: Buffer, opts: OpenOptions = {}): OpenedFile {
  const cipher = new ValueCipher(dataKey);
  const { metadata } = file;
  const result = decryptDocuments(file.docs, cipher, settingsRule(metadata));
  if (!opts.ignoreMac) {
    const stored = decryptMac(cipher, metadata.mac, normalizeRfc3339(metadata.lastModified));
    if (stored !== result.mac) {
      throw new MacMismatchError('MAC mismatch: the file was changed after it was encrypted (a value, its order, or a key was tampered with)');
    }
  }
  return { docs: result.docs, metadata, dataKey, cipher, undecryptableComments: result.undecryptableComments };
}

/** Decrypts a file to plain bytes in `outputFormat`. */
export async function decryptFile(data: Buffer, format: Format, ctx: KeyContext, opts: OpenOptions & { outputFormat?: Format } = {}): Promise<Buffer> {
  const opened = await openFile(data, format, ctx, opts);
  return stringifyPlain(opts.outputFormat ?? format, opened.docs);
}

// --- change and re-encrypt -----------------------------------------------------

/** Re-encrypts changed documents with the same data key; unchanged values keep their ciphertext. */
export function resealFile(opened: OpenedFile, docs: MapNode[], format: Format, now = new Date()): Buffer {
  return stringifyEncrypted(format, seal(docs, opened.metadata, opened.cipher, now));
}

/**
 * New data key, every value re-encrypted, the key re-wrapped for each master
 * key (plus `add`, minus `remove`).
 */
export async function rotateFile(opened: OpenedFile, format: Format, ctx: KeyContext, change: { add?: MasterKey[]; remove?: (k: MasterKey) => boolean } = {}): Promise<Buffer> {
  const groups = opened.metadata.keyGroups.map((g) => g.filter((k) => !change.remove?.(k)));
  if (change.add?.length) {
    if (groups.length === 0) groups.push([]);
    groups[0]!.push(...change.add);
  }
  const file = await encryptDocs(opened.docs, {
    keyGroups: groups.filter((g) => g.length > 0),
    shamirThreshold: opened.metadata.shamirThreshold,
    rule: opened.metadata.rule,
    macOnlyEncrypted: opened.metadata.macOnlyEncrypted,
  }, ctx);
  return stringifyEncrypted(format, file);
}

/** Re-wraps the existing data key for a new set of key groups; values and MAC are unchanged. */
export async function updateKeys(file: EncryptedFile, dataKey: Buffer, keyGroups: KeyGroup[], shamirThreshold: number, ctx: KeyContext): Promise<EncryptedFile> {
  const { groups, threshold } = await wrapForGroups(keyGroups, dataKey, shamirThreshold, ctx);
  return { docs: file.docs, metadata: { ...file.metadata, keyGroups: groups, shamirThreshold: threshold } };
}

export type { EncryptedFile, Format };
