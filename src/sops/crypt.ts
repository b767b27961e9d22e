/**
 * Encrypting and decrypting a whole tree with the data key, and the MAC that
 * binds the values together: SHA-512 over every value's plaintext bytes in
 * walk order across all documents (comments and nulls excluded), or, with
 * `mac_only_encrypted`, a fixed 32-byte prefix and only the encrypted values.
 * The hex digest (upper case) is itself encrypted with `lastmodified` as AAD.
 */
import { createHash } from 'node:crypto';
import { InvalidDataError } from '../util/errors.ts';
import { MacNotFoundError } from './errors.ts';
import type { ValueCipher } from './cipher.ts';
import { isEncryptedValue } from './cipher.ts';
import type { EncryptionPredicate } from './rules.ts';
import { leafBytes } from './scalar.ts';
import type { Leaf, MapNode } from './tree.ts';
import { walkMap } from './tree.ts';

/** SHA-256("sops"): what sops feeds the hash first when mac_only_encrypted is on. */
const MAC_ONLY_ENCRYPTED_PREFIX = createHash('sha256').update('sops').digest();

export function aadFor(path: readonly string[]): string {
  return path.join(':') + ':';
}

/** A path for messages: keys joined with dots, as people write them. */
export function describePath(path: readonly string[]): string {
  return path.length === 0 ? '(top level)' : path.join('.');
}

export interface CryptOptions {
  shouldEncrypt: EncryptionPredicate;
  macOnlyEncrypted: boolean;
}

function newMac(macOnlyEncrypted: boolean): ReturnType<typeof createHash> {
  const h = createHash('sha512');
  if (macOnlyEncrypted) h.update(MAC_ONLY_ENCRYPTED_PREFIX);
  return h;
}

/** Encrypts every value the rule selects; returns the new documents and the MAC (upper-case hex). */
export function encryptDocuments(docs: readonly MapNode[], cipher: ValueCipher, opts: CryptOptions): { docs: MapNode[]; mac: string } {
  const hash = newMac(opts.macOnlyEncrypted);
  const out = docs.map((doc) =>
    walkMap(doc, (leaf, path, stack) => {
      const isComment = typeof leaf === 'object' && leaf.kind === 'comment';
      const encrypt = opts.shouldEncrypt(path, stack, isComment);
      if (!isComment && (!opts.macOnlyEncrypted || encrypt)) hash.update(leafBytes(leaf));
      if (!encrypt) return leaf;
      const enc = cipher.encrypt(leaf, aadFor(path));
      return isComment ? { kind: 'comment', text: enc, inline: leaf.inline } : enc;
    }),
  );
  return { docs: out, mac: hash.digest('hex').toUpperCase() };
}

export interface DecryptedDocuments {
  docs: MapNode[];
  /** The MAC computed over the decrypted values (upper-case hex). */
  mac: string;
  /** Paths of comments that looked encrypted but could not be decrypted (kept as they were). */
  undecryptableComments: string[];
}

/**
 * Decrypts every value the rule selects. A value that fails throws an error
 * naming its path; a comment that fails is kept as it is (old sops versions
 * did not encrypt comments) and reported.
 */
export function decryptDocuments(docs: readonly MapNode[], cipher: ValueCipher, opts: CryptOptions): DecryptedDocuments {
  const hash = newMac(opts.macOnlyEncrypted);
  const undecryptableComments: string[] = [];
  const out = docs.map((doc) =>
    walkMap(doc, (leaf, path, stack) => {
      const isComment = typeof leaf === 'object' && leaf.kind === 'comment';
      const encrypted = opts.shouldEncrypt(path, stack, isComment);
      let value: Leaf = leaf;
      if (encrypted && isComment) {
        value = decryptComment(cipher, leaf.text, path, leaf.inline) ?? leaf;
        if (value === leaf && isEncryptedValue(leaf.text)) undecryptableComments.push(describePath(path));
      } else if (encrypted) {
        if (typeof leaf !== 'string') {
          throw new InvalidDataError(`value at ${describePath(path)} should be encrypted but is a plain ${typeof leaf === 'boolean' ? 'bool' : leaf.kind}`);
        }
        try {
          value = cipher.decrypt(leaf, aadFor(path));
        } catch (err) {
          throw new InvalidDataError(`cannot decrypt the value at ${describePath(path)}: ${(err as Error).message}`, { cause: err });
        }
      }
      if (!isComment && (!opts.macOnlyEncrypted || encrypted)) hash.update(leafBytes(value));
      return value;
    }),
  );
  return { docs: out, mac: hash.digest('hex').toUpperCase(), undecryptableComments };
}

/**
 * A comment's AAD is its container's path. YAML parsers disagree on which
 * container a comment between two indentation levels belongs to, so when the
 * container's path fails, the enclosing containers' paths are tried too.
 */
function decryptComment(cipher: ValueCipher, text: string, path: readonly string[], inline: boolean): Leaf | undefined {
  if (!isEncryptedValue(text)) return undefined;
  for (let n = path.length; n >= 0; n--) {
    try {
      return cipher.decrypt(text, aadFor(path.slice(0, n)), inline);
    } catch {
      // try the enclosing container
    }
  }
  return undefined;
}

/** Encrypts the MAC for storage in `sops.mac`. */
export function encryptMac(cipher: ValueCipher, mac: string, lastModified: string): string {
  return cipher.encrypt(mac, lastModified);
}

/** Decrypts the stored MAC; throws InvalidDataError when it is missing or tampered. */
export function decryptMac(cipher: ValueCipher, stored: string, lastModified: string): string {
  if (stored === '') throw new MacNotFoundError('the file has no MAC (sops.mac is empty)');
  let v: Leaf;
  try {
    v = cipher.decrypt(stored, lastModified);
  } catch (err) {
    throw new MacNotFoundError(`cannot decrypt the MAC (sops.mac): ${(err as Error).message}`, { cause: err });
  }
  if (typeof v !== 'string') throw new MacNotFoundError('the MAC (sops.mac) is not a string');
  return v;
}
