/**
 * Building and reading X.509 certificates with node:crypto keys: what
 * sprig's genCA/genSelfSignedCert/genSignedCert produce (RSA-2048, SHA-256,
 * key usage, server+client auth, SANs) and the fields ESO's helpers read.
 */
import { createHash, createPublicKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import * as der from './der.ts';

export interface CertTemplate {
  cn: string;
  ips: string[];
  dnsNames: string[];
  daysValid: number;
  isCA: boolean;
  now: Date;
}

function name(cn: string): Buffer {
  const printableRe = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
  const value = printableRe.test(cn) ? der.printable(cn) : der.utf8(cn);
  return der.seq(der.set(der.seq(der.oid('2.5.4.3'), value)));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const parts = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const b = Buffer.alloc(16);
  parts.forEach((p, i) => b.writeUInt16BE(parseInt(p, 16), i * 2));
  return b;
}

function sigAlg(key: KeyObject): { alg: Buffer; digest: string | null } {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { alg: der.seq(der.oid('1.2.840.113549.1.1.11'), der.nullValue()), digest: 'sha256' };
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'secp384r1') return { alg: der.seq(der.oid('1.2.840.10045.4.3.3')), digest: 'sha384' };
      if (curve === 'secp521r1') return { alg: der.seq(der.oid('1.2.840.10045.4.3.4')), digest: 'sha512' };
      return { alg: der.seq(der.oid('1.2.840.10045.4.3.2')), digest: 'sha256' };
    }
    case 'ed25519':
      return { alg: der.seq(der.oid('1.3.101.112')), digest: null };
  }
  throw new Error('x509: only RSA, ECDSA and Ed25519 keys supported');
}

/** SHA-1 of the subjectPublicKey bits, as Go derives SubjectKeyId. */
export function keyId(pub: KeyObject): Buffer {
  const spki = der.parse(pub.export({ type: 'spki', format: 'der' }));
  const bits = der.child(spki, 1).value.subarray(1);
  return createHash('sha1').update(bits).digest();
}

export interface Issuer {
  name: Buffer;
  key: KeyObject;
  keyId: Buffer | undefined;
}

export function createCertificate(t: CertTemplate, subjectKey: KeyObject, issuer: Issuer | null): Buffer {
  const pub = createPublicKey(subjectKey);
  const signer = issuer?.key ?? subjectKey;
  const { alg, digest } = sigAlg(signer);
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const notAfter = new Date(t.now.getTime() + t.daysValid * 86400000);
  const subject = name(t.cn);
  const ski = t.isCA ? keyId(pub) : undefined;
  const exts: Buffer[] = [];
  // keyUsage: digitalSignature | keyEncipherment (| keyCertSign for CAs)
  const ku = t.isCA ? Buffer.from([0x02, 0xa4]) : Buffer.from([0x05, 0xa0]);
  exts.push(der.seq(der.oid('2.5.29.15'), der.bool(true), der.octets(der.tlv(0x03, ku))));
  if (!t.isCA) {
    exts.push(der.seq(der.oid('2.5.29.37'), der.octets(der.seq(der.oid('1.3.6.1.5.5.7.3.1'), der.oid('1.3.6.1.5.5.7.3.2')))));
  } else {
    exts.push(der.seq(der.oid('2.5.29.37'), der.octets(der.seq(der.oid('1.3.6.1.5.5.7.3.1'), der.oid('1.3.6.1.5.5.7.3.2')))));
  }
  exts.push(der.seq(der.oid('2.5.29.19'), der.bool(true), der.octets(t.isCA ? der.seq(der.bool(true)) : der.seq())));
  if (ski) exts.push(der.seq(der.oid('2.5.29.14'), der.octets(der.octets(ski))));
  if (issuer?.keyId) exts.push(der.seq(der.oid('2.5.29.35'), der.octets(der.seq(der.implicitPrim(0, issuer.keyId)))));
  if (t.dnsNames.length > 0 || t.ips.length > 0) {
    const names = [...t.dnsNames.map((d) => der.implicitPrim(2, Buffer.from(d, 'latin1'))), ...t.ips.map((ip) => der.implicitPrim(7, ipBytes(ip)))];
    exts.push(der.seq(der.oid('2.5.29.17'), der.octets(der.seq(...names))));
  }
  const tbs = der.seq(
    der.explicit(0, der.integer(2)),
    der.integer(serial),
    alg,
    issuer?.name ?? subject,
    der.seq(der.time(t.now), der.time(notAfter)),
    subject,
    pub.export({ type: 'spki', format: 'der' }),
    der.explicit(3, der.seq(...exts)),
  );
  const signature = sign(digest, tbs, signer);
  return der.seq(tbs, alg, der.bitString(signature));
}

export interface CertInfo {
  subjectName: Buffer;
  subjectKeyId: Buffer | undefined;
  authorityKeyId: Buffer | undefined;
  dnsNames: string[];
  emails: string[];
  ips: string[];
  uris: string[];
  raw: Buffer;
}

function formatIP(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) {
    if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return [...b.subarray(12)].join('.');
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
    // Go: longest run of >= 2 zero groups becomes ::
    let best = -1;
    let bestLen = 0;
    for (let i = 0; i < 8; ) {
      if (groups[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLen && j - i >= 2) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (best < 0) return hex.join(':');
    return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
  }
  return '?' + b.toString('hex');
}

/** Parses the parts of a certificate ESO's helpers look at (x509.ParseCertificate validates the rest). */
export function parseCertificate(raw: Buffer): CertInfo {
  // Let OpenSSL reject what Go would reject as malformed.
  new X509Certificate(raw);
  const cert = der.parse(raw);
  const tbs = der.child(cert, 0);
  const hasVersion = der.child(tbs, 0).tag === 0xa0;
  const off = hasVersion ? 1 : 0;
  const info: CertInfo = {
    subjectName: der.child(tbs, off + 4).raw,
    subjectKeyId: undefined,
    authorityKeyId: undefined,
    dnsNames: [],
    emails: [],
    ips: [],
    uris: [],
    raw,
  };
  const extsWrapper = tbs.children?.find((c) => c.tag === 0xa3);
  for (const ext of extsWrapper ? (der.child(extsWrapper, 0).children ?? []) : []) {
    const id = der.oidString(der.child(ext, 0).value);
    const valueNode = ext.children![ext.children!.length - 1]!;
    const inner = der.parse(valueNode.value);
    if (id === '2.5.29.14') info.subjectKeyId = Buffer.from(inner.value);
    else if (id === '2.5.29.35') {
      const k = inner.children?.find((c) => c.tag === 0x80);
      if (k) info.authorityKeyId = Buffer.from(k.value);
    } else if (id === '2.5.29.17') {
      for (const gn of inner.children ?? []) {
        if (gn.tag === 0x82) info.dnsNames.push(gn.value.toString('latin1'));
        else if (gn.tag === 0x81) info.emails.push(gn.value.toString('latin1'));
        else if (gn.tag === 0x87) info.ips.push(formatIP(gn.value));
        else if (gn.tag === 0x86) info.uris.push(gn.value.toString('latin1'));
      }
    }
  }
  return info;
}
