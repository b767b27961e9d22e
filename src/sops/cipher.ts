/**
 * SOPS value encryption: AES-256-GCM with a 32-byte IV, the key path as
 * additional data, and the `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` form.
 *
 * The IV stash mirrors sops: decrypting remembers each value's IV by
 * (plaintext, path), and re-encrypting the same plaintext at the same path
 * reuses it, so an edit leaves unchanged values byte-identical and Git diffs
 * small. (Same key, IV, AAD and plaintext give the same ciphertext; nothing
 * new is revealed.)
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { InvalidDataError } from '../util/errors.ts';
import type { Leaf } from './tree.ts';
import { comment } from './tree.ts';
import { leafBytes, leafType, parseGoBool, parseGoFloat, parseGoInt, parseYamlTimestamp } from './scalar.ts';

const IV_BYTES = 32;
const TAG_BYTES = 16;
const ENC_FORM = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

export interface EncryptedParts {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

/** Go's base64.StdEncoding.DecodeString: padded, strict alphabet. */
function decodeStdBase64(s: string, what: string): Buffer {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) {
    throw new InvalidDataError(`invalid base64 in the ${what} of an encrypted value`);
  }
  return Buffer.from(s, 'base64');
}

export function parseEncrypted(value: string): EncryptedParts | undefined {
  const m = ENC_FORM.exec(value);
  if (!m) return undefined;
  return {
    data: decodeStdBase64(m[1]!, 'data'),
    iv: decodeStdBase64(m[2]!, 'iv'),
    tag: decodeStdBase64(m[3]!, 'tag'),
    type: m[4]!,
  };
}

export function isEncryptedValue(value: unknown): boolean {
  return typeof value === 'string' && ENC_FORM.test(value);
}

export class ValueCipher {
  readonly #key: Buffer;
  readonly #stash = new Map<string, Buffer>();

  constructor(dataKey: Uint8Array) {
    if (dataKey.length !== 32) throw new InvalidDataError(`the data key must be 32 bytes, got ${dataKey.length}`);
    this.#key = Buffer.from(dataKey);
  }

  static #stashKey(leaf: Leaf, aad: string): string {
    return `${leafType(leaf)}\u0000${aad}\u0000${leafBytes(leaf).toString('hex')}`;
  }

  /** Encrypts a value; empty strings and empty comments stay empty, as in sops. */
  encrypt(leaf: Leaf, aad: string): string {
    const bytes = leafBytes(leaf);
    if ((leafType(leaf) === 'str' || leafType(leaf) === 'comment') && bytes.length === 0) return '';
    const iv = this.#stash.get(ValueCipher.#stashKey(leaf, aad)) ?? randomBytes(IV_BYTES);
    const c = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    c.setAAD(Buffer.from(aad, 'utf8'));
    const data = Buffer.concat([c.update(bytes), c.final()]);
    const tag = c.getAuthTag();
    return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${tag.toString('base64')},type:${leafType(leaf)}]`;
  }

  /**
   * Decrypts an ENC[...] string into a typed value. Throws InvalidDataError
   * with a message that never contains the value.
   */
  decrypt(ciphertext: string, aad: string, inline = false): Leaf {
    if (ciphertext === '') return '';
    const parts = parseEncrypted(ciphertext);
    if (!parts) throw new InvalidDataError('the value is not in sops ENC[AES256_GCM,...] form');
    if (parts.iv.length === 0) throw new InvalidDataError('the encrypted value has an empty IV');
    if (parts.tag.length !== TAG_BYTES) throw new InvalidDataError('the encrypted value has a truncated tag');
    let plain: Buffer;
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key, parts.iv, { authTagLength: TAG_BYTES });
      d.setAAD(Buffer.from(aad, 'utf8'));
      d.setAuthTag(parts.tag);
      plain = Buffer.concat([d.update(parts.data), d.final()]);
    } catch {
      throw new InvalidDataError('authentication failed (wrong data key, tampered value, or value moved to another key)');
    }
    const text = plain.toString('utf8');
    let leaf: Leaf;
    switch (parts.type) {
      case 'str':
      case 'bytes':
        // Keep raw bytes when they are not UTF-8, so binary files survive.
        leaf = Buffer.from(text, 'utf8').equals(plain) ? text : { kind: 'bytes', data: plain };
        break;
      case 'int': {
        const i = parseGoInt(text);
        if (i === undefined) throw new InvalidDataError('an encrypted int does not hold an integer');
        leaf = { kind: 'int', text: i };
        break;
      }
      case 'float': {
        const f = parseGoFloat(text);
        if (f === undefined) throw new InvalidDataError('an encrypted float does not hold a number');
        leaf = { kind: 'float', value: f };
        break;
      }
      case 'bool': {
        const b = parseGoBool(text);
        if (b === undefined) throw new InvalidDataError('an encrypted bool does not hold a boolean');
        leaf = b;
        break;
      }
      case 'time': {
        const t = parseYamlTimestamp(text);
        if (t === undefined) throw new InvalidDataError('an encrypted time does not hold an RFC 3339 timestamp');
        leaf = { kind: 'time', text: t };
        break;
      }
      case 'comment':
        leaf = comment(text, inline);
        break;
      default:
        throw new InvalidDataError(`unknown encrypted value type ${JSON.stringify(parts.type.slice(0, 20))}`);
    }
    this.#stash.set(ValueCipher.#stashKey(leaf, aad), parts.iv);
    return leaf;
  }
}
