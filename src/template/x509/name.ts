/**
 * pkix.Name.String() for a certificate's subject: RFC 2253 order (last RDN
 * first), Go's short names for the attributes it knows, #hex for the rest.
 * go-pkcs12 names trust-store entries with it.
 */
import * as der from './der.ts';

const known: Record<string, string> = {
  '2.5.4.6': 'C',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.17': 'POSTALCODE',
};
// The order Name.ToRDNSequence writes the parsed fields in.
const fieldOrder = ['2.5.4.6', '2.5.4.10', '2.5.4.11', '2.5.4.7', '2.5.4.8', '2.5.4.9', '2.5.4.17', '2.5.4.5', '2.5.4.3'];
const singleValued = new Set(['2.5.4.5', '2.5.4.3']);

interface Atv {
  type: string;
  /** A Go string (bytes) if the value is an ASN.1 string type. */
  text: string | undefined;
  raw: Buffer;
}

function stringValue(t: der.Tlv): string | undefined {
  switch (t.tag) {
    case 0x0c: // UTF8String
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // T61String
    case 0x12: // NumericString
      return t.value.toString('latin1');
    case 0x1e: {
      let s = '';
      for (let i = 0; i + 1 < t.value.length; i += 2) s += String.fromCharCode(t.value.readUInt16BE(i));
      return Buffer.from(s, 'utf8').toString('latin1');
    }
  }
  return undefined;
}

function escape(v: string): string {
  let out = '';
  // Go iterates runes; the characters it escapes are all ASCII, so bytes will do,
  // except that "last position" means the last rune.
  const lastStart = v.length - 1 - (/[\x80-\xff]$/.test(v) ? (/[\xc0-\xff][\x80-\xbf]*$/.exec(v)?.[0].length ?? 1) - 1 : 0);
  for (let k = 0; k < v.length; k++) {
    const c = v[k]!;
    let esc = false;
    if (',+"\\<>;'.includes(c)) esc = true;
    else if (c === ' ') esc = k === 0 || k === lastStart;
    else if (c === '#') esc = k === 0;
    out += esc ? '\\' + c : c;
  }
  return out;
}

function marshalString(s: string): Buffer {
  return der.tlv(/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s) ? 0x13 : 0x0c, Buffer.from(s, 'latin1'));
}

function atvString(a: Atv): string {
  const name = known[a.type];
  if (name === undefined) return `${a.type}=#${(a.text === undefined ? a.raw : marshalString(a.text)).toString('hex')}`;
  return `${name}=${escape(a.text ?? '')}`;
}

/** The subject (or issuer) Name DER → Go's Name.String(). */
export function nameString(nameDer: Buffer): string {
  const atvs: Atv[] = [];
  for (const rdn of der.parse(nameDer).children ?? []) {
    for (const atv of rdn.children ?? []) {
      const [t, v] = atv.children ?? [];
      if (t === undefined || v === undefined) continue;
      atvs.push({ type: der.oidString(t.value), text: stringValue(v), raw: v.raw });
    }
  }
  const rdns: Atv[][] = atvs.filter((a) => known[a.type] === undefined).map((a) => [a]);
  for (const type of fieldOrder) {
    let values = atvs.filter((a) => a.type === type && a.text !== undefined);
    if (singleValued.has(type)) values = values.slice(-1).filter((a) => a.text !== '');
    if (values.length > 0) rdns.push(values);
  }
  return rdns
    .reverse()
    .map((rdn) => rdn.map(atvString).join('+'))
    .join(',');
}
