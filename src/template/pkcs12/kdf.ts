/**
 * The password handling of PKCS#12 (RFC 7292): passwords as zero-terminated
 * UCS-2 ("BMPString"), and the Appendix B key derivation that the MAC and the
 * old pbeWithSHAAnd* ciphers use.
 */
import { createHash } from 'node:crypto';
import { decodeRune } from '../gostr.ts';
import { charge, COST } from '../limits.ts';

export class Pkcs12Error extends Error {}

/** Code points of a Go string (bytes; invalid UTF-8 becomes U+FFFD as `range` does). */
function codePoints(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    const [r, n] = decodeRune(s, i);
    out.push(r);
    i += n;
  }
  return out;
}

/** UCS-2 big-endian, refusing what UCS-2 cannot hold (as go-pkcs12 does). */
export function bmpString(s: string): Buffer {
  const cps = codePoints(s);
  const out = Buffer.alloc(cps.length * 2);
  cps.forEach((c, i) => {
    if (c > 0xffff || (c >= 0xd800 && c < 0xe000)) throw new Pkcs12Error('pkcs12: string contains characters that cannot be encoded in UCS-2');
    out.writeUInt16BE(c, i * 2);
  });
  return out;
}

export function bmpStringZeroTerminated(s: string): Buffer {
  return Buffer.concat([bmpString(s), Buffer.alloc(2)]);
}

/** BMP bytes back to UTF-8 bytes (PBES2 and PBMAC1 take the password as UTF-8). */
export function bmpToUtf8(b: Buffer): Buffer {
  let bytes = b;
  if (bytes.length >= 2 && bytes[bytes.length - 1] === 0 && bytes[bytes.length - 2] === 0) bytes = bytes.subarray(0, bytes.length - 2);
  let text = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) text += String.fromCharCode(bytes.readUInt16BE(i));
  return Buffer.from(text, 'utf8');
}

export type HashName = 'sha1' | 'sha256' | 'sha512';
const sizes: Record<HashName, [number, number]> = { sha1: [20, 64], sha256: [32, 64], sha512: [64, 128] };

function fillWithRepeats(pattern: Buffer, v: number): Buffer {
  if (pattern.length === 0) return Buffer.alloc(0);
  const len = v * Math.ceil(pattern.length / v);
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++) out[i] = pattern[i % pattern.length]!;
  return out;
}

/** RFC 7292 Appendix B.2: id 1 = key, 2 = IV, 3 = MAC key. */
export function pkcs12Kdf(hash: HashName, salt: Buffer, password: Buffer, iterations: number, id: number, size: number): Buffer {
  const [u, v] = sizes[hash];
  const d = Buffer.alloc(v, id);
  const i = Buffer.concat([fillWithRepeats(salt, v), fillWithRepeats(password, v)]);
  const blocks = Math.ceil(size / u);
  // The iteration count is read from the file: charge it to the template's budget before the work.
  charge(Math.max(1, iterations) * blocks * COST.pkcs12KdfIteration);
  const out: Buffer[] = [];
  for (let n = 0; n < blocks; n++) {
    let a = createHash(hash).update(d).update(i).digest();
    for (let r = 1; r < iterations; r++) a = createHash(hash).update(a).digest();
    out.push(a);
    if (n < blocks - 1) {
      const b = fillWithRepeats(a, v).subarray(0, v);
      // I_j = (I_j + B + 1) mod 2^(8v), for each v-byte block of I.
      for (let j = 0; j < i.length; j += v) {
        let carry = 1;
        for (let k = v - 1; k >= 0; k--) {
          const sum = i[j + k]! + b[k]! + carry;
          i[j + k] = sum & 0xff;
          carry = sum >> 8;
        }
      }
    }
  }
  return Buffer.concat(out).subarray(0, size);
}
