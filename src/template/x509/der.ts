/**
 * Just enough DER to build and read X.509 certificates, DSA keys and PKCS#12
 * structures: TLV encoding helpers and a parser into a node tree.
 */

export interface Tlv {
  tag: number;
  /** Full encoding of this element. */
  raw: Buffer;
  /** Contents octets. */
  value: Buffer;
  children?: Tlv[];
}

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

export const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
export const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);
export const octets = (b: Buffer): Buffer => tlv(0x04, b);
export const bitString = (b: Buffer): Buffer => tlv(0x03, Buffer.from([0]), b);
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
export const bool = (b: boolean): Buffer => tlv(0x01, Buffer.from([b ? 0xff : 0x00]));
export const explicit = (n: number, ...c: Buffer[]): Buffer => tlv(0xa0 | n, ...c);
export const implicitPrim = (n: number, b: Buffer): Buffer => tlv(0x80 | n, b);
export const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'latin1'));
export const printable = (s: string): Buffer => tlv(0x13, Buffer.from(s, 'latin1'));
export const bmpString = (s: string): Buffer => {
  const b = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), i * 2);
  return tlv(0x1e, b);
};

export function integer(v: bigint | number | Buffer): Buffer {
  let b: Buffer;
  if (Buffer.isBuffer(v)) b = v;
  else {
    let n = BigInt(v);
    if (n < 0n) throw new Error('negative integers are not needed here');
    let hex = n.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    b = Buffer.from(hex, 'hex');
    n = 0n;
  }
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && (b[i + 1]! & 0x80) === 0) i++;
  b = b.subarray(i);
  if (b.length === 0) b = Buffer.from([0]);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const bytes: number[] = [p & 0x7f];
    let v = Math.floor(p / 128);
    while (v > 0) {
      bytes.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
}

export function oidString(value: Buffer): string {
  const parts: number[] = [Math.floor(value[0]! / 40), value[0]! % 40];
  let v = 0;
  for (const b of value.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** Go's time encoding in certificates: UTCTime before 2050, GeneralizedTime after. */
export function time(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const rest = p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes()) + p(d.getUTCSeconds()) + 'Z';
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(p(y % 100) + rest, 'latin1'));
  return tlv(0x18, Buffer.from(p(y, 4) + rest, 'latin1'));
}

export function parse(buf: Buffer, offset = 0): Tlv {
  const tag = buf[offset];
  if (tag === undefined) throw new Error('asn1: truncated');
  let len = buf[offset + 1];
  if (len === undefined) throw new Error('asn1: truncated');
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('asn1: unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) {
      const b = buf[offset + 2 + i];
      if (b === undefined) throw new Error('asn1: truncated');
      len = len * 256 + b;
    }
    hdr += n;
  }
  const end = offset + hdr + len;
  if (end > buf.length) throw new Error('asn1: truncated');
  const node: Tlv = { tag, raw: buf.subarray(offset, end), value: buf.subarray(offset + hdr, end) };
  if (tag & 0x20) {
    node.children = [];
    let p = offset + hdr;
    while (p < end) {
      const child = parse(buf, p);
      node.children.push(child);
      p += child.raw.length;
    }
  }
  return node;
}

export function child(n: Tlv | undefined, i: number): Tlv {
  const c = n?.children?.[i];
  if (c === undefined) throw new Error('asn1: structure error');
  return c;
}

export function toBigInt(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + b.toString('hex'));
}

/** PEM encoding with 64-column lines, as Go's pem.Encode writes it. */
export function pem(type: string, der: Buffer): string {
  const b64 = der.toString('base64');
  let out = `-----BEGIN ${type}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + '\n';
  return out + `-----END ${type}-----\n`;
}
