/**
 * Shamir's secret sharing over GF(2^8) (polynomial x^8+x^4+x^3+x+1), in the
 * form sops uses for several key groups: each share is the 32 y-bytes then
 * one x-byte, and share i has x = i + 1.
 */
import { randomBytes } from 'node:crypto';
import { InvalidDataError } from '../util/errors.ts';

function mul(a: number, b: number): number {
  let r = 0;
  for (let i = 7; i >= 0; i--) {
    r = ((r << 1) ^ ((r & 0x80) !== 0 ? 0x1b : 0)) & 0xff;
    if (((b >> i) & 1) !== 0) r ^= a;
  }
  return r;
}

function inv(a: number): number {
  // a^254 = a^-1 in GF(2^8)
  let r = 1;
  for (let i = 0; i < 254; i++) r = mul(r, a);
  return r;
}

export function splitSecret(secret: Uint8Array, parts: number, threshold: number): Buffer[] {
  if (parts < threshold) throw new InvalidDataError('Shamir: parts cannot be less than the threshold');
  if (parts > 255) throw new InvalidDataError('Shamir: parts cannot exceed 255');
  if (threshold < 2) throw new InvalidDataError('Shamir: the threshold must be at least 2');
  if (secret.length === 0) throw new InvalidDataError('Shamir: cannot split an empty secret');
  const out = Array.from({ length: parts }, (_, i) => {
    const b = Buffer.alloc(secret.length + 1);
    b[secret.length] = i + 1;
    return b;
  });
  for (let idx = 0; idx < secret.length; idx++) {
    const coeffs = [secret[idx]!, ...randomBytes(threshold - 1)];
    for (let i = 0; i < parts; i++) {
      const x = i + 1;
      let y = coeffs[coeffs.length - 1]!;
      for (let c = coeffs.length - 2; c >= 0; c--) y = mul(y, x) ^ coeffs[c]!;
      out[i]![idx] = y;
    }
  }
  return out;
}

export function combineShares(parts: readonly Uint8Array[]): Buffer {
  if (parts.length < 2) throw new InvalidDataError('Shamir: fewer than two shares cannot rebuild the data key');
  const len = parts[0]!.length;
  if (len < 2 || parts.some((p) => p.length !== len)) throw new InvalidDataError('Shamir: shares differ in length');
  const xs = parts.map((p) => p[len - 1]!);
  if (new Set(xs).size !== xs.length) throw new InvalidDataError('Shamir: duplicate share');
  // The Lagrange basis at x=0 depends only on the x coordinates: computed once, not per byte, so
  // the cost is parts² + parts × length rather than their product.
  const bases = xs.map((xi, i) => {
    let basis = 1;
    for (let j = 0; j < xs.length; j++) if (i !== j) basis = mul(basis, mul(xs[j]!, inv(xi ^ xs[j]!)));
    return basis;
  });
  const secret = Buffer.alloc(len - 1);
  for (let idx = 0; idx < len - 1; idx++) {
    let result = 0;
    for (let i = 0; i < parts.length; i++) result ^= mul(parts[i]![idx]!, bases[i]!);
    secret[idx] = result;
  }
  return secret;
}
