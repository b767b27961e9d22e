/** sprig's crypto.go on node:crypto: hashes, bcrypt, derivePassword, keys, certificates, AES. */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  scryptSync,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';
import bcryptjs from 'bcryptjs';
import { fromBytes, toText } from '../gostr.ts';
import { allocate, charge, COST } from '../limits.ts';
import { fn, GoFuncError, GoInt, GoSlice, GoStruct, type GoFunc, type GoValue } from '../values.ts';
import * as der from '../x509/der.ts';
import { createCertificate, keyId, parseCertificate } from '../x509/cert.ts';
import { pemDecode } from '../x509/pem.ts';
import { sprint } from '../fmt.ts';
import { num } from './conv.ts';
import { b64decode } from './encoding.ts';

const S = 'string';

function hexHash(alg: string, s: string): string {
  return createHash(alg).update(Buffer.from(s, 'latin1')).digest('hex');
}

function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    a = (a + s.charCodeAt(i)) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

export function bcryptHash(input: string): string {
  if (input.length > 72) return 'failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes';
  // Go writes the $2a$ prefix; the hash itself is the same algorithm.
  charge(COST.bcrypt);
  return bcryptjs.hashSync(toText(input), 10).replace(/^\$2b\$/, '$2a$');
}

const passwordTypeTemplates: Record<string, string[]> = {
  maximum: ['anoxxxxxxxxxxxxxxxxx', 'axxxxxxxxxxxxxxxxxno'],
  long: [
    'CvcvnoCvcvCvcv', 'CvcvCvcvnoCvcv', 'CvcvCvcvCvcvno', 'CvccnoCvcvCvcv', 'CvccCvcvnoCvcv', 'CvccCvcvCvcvno', 'CvcvnoCvccCvcv',
    'CvcvCvccnoCvcv', 'CvcvCvccCvcvno', 'CvcvnoCvcvCvcc', 'CvcvCvcvnoCvcc', 'CvcvCvcvCvccno', 'CvccnoCvccCvcv', 'CvccCvccnoCvcv',
    'CvccCvccCvcvno', 'CvcvnoCvccCvcc', 'CvcvCvccnoCvcc', 'CvcvCvccCvccno', 'CvccnoCvcvCvcc', 'CvccCvcvnoCvcc', 'CvccCvcvCvccno',
  ],
  medium: ['CvcnoCvc', 'CvcCvcno'],
  short: ['Cvcn'],
  basic: ['aaanaaan', 'aannaaan', 'aaannaaa'],
  pin: ['nnnn'],
};
const templateCharacters: Record<string, string> = {
  V: 'AEIOU',
  C: 'BCDFGHJKLMNPQRSTVWXYZ',
  v: 'aeiou',
  c: 'bcdfghjklmnpqrstvwxyz',
  A: 'AEIOUBCDFGHJKLMNPQRSTVWXYZ',
  a: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz',
  n: '0123456789',
  o: "@&%?,=[]_:-+*$#!'^~;()/.",
  x: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()',
};

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** The Master Password algorithm (scrypt N=32768, r=8, p=2), as sprig implements it. */
export function derivePassword(counter: number, passwordType: string, password: string, user: string, site: string): string {
  const templates = Object.hasOwn(passwordTypeTemplates, passwordType) ? passwordTypeTemplates[passwordType] : undefined;
  if (!templates) return `cannot find password template ${passwordType}`;
  const seed = Buffer.from('com.lyndir.masterpassword', 'latin1');
  const salt = Buffer.concat([seed, u32(user.length), Buffer.from(user, 'latin1')]);
  charge(COST.scrypt);
  const key = scryptSync(Buffer.from(password, 'latin1'), salt, 64, { N: 32768, r: 8, p: 2, maxmem: 64 * 1024 * 1024 });
  const msg = Buffer.concat([seed, u32(site.length), Buffer.from(site, 'latin1'), u32(counter)]);
  const mac = createHmac('sha256', key).update(msg).digest();
  const temp = templates[mac[0]! % templates.length]!;
  let out = '';
  for (let i = 0; i < temp.length; i++) {
    const chars = templateCharacters[temp[i]!]!;
    out += chars[mac[i + 1]! % chars.length];
  }
  return out;
}

function dsaPrivateKeyPem(): string {
  charge(COST.dsa2048);
  const { privateKey } = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
  // PKCS#8 → Go's DSAKeyFormat {0, P, Q, G, Y, X}.
  const p8 = der.parse(privateKey.export({ type: 'pkcs8', format: 'der' }));
  const params = der.child(der.child(p8, 1), 1);
  const P = der.toBigInt(der.child(params, 0).value);
  const Q = der.toBigInt(der.child(params, 1).value);
  const G = der.toBigInt(der.child(params, 2).value);
  const X = der.toBigInt(der.parse(der.child(p8, 2).value).value);
  const Y = modPow(G, X, P);
  return der.pem('DSA PRIVATE KEY', der.seq(der.integer(0), der.integer(P), der.integer(Q), der.integer(G), der.integer(Y), der.integer(X)));
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

export function privateKeyPem(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return key.export({ type: 'pkcs1', format: 'pem' }) as string;
    case 'ec':
      return key.export({ type: 'sec1', format: 'pem' }) as string;
    default:
      return key.export({ type: 'pkcs8', format: 'pem' }) as string;
  }
}

function generatePrivateKey(typ: string): string {
  switch (typ) {
    case '':
    case 'rsa':
      charge(COST.rsa4096);
      return privateKeyPem(generateKeyPairSync('rsa', { modulusLength: 4096 }).privateKey);
    case 'dsa':
      return dsaPrivateKeyPem();
    case 'ecdsa':
      charge(COST.ellipticKey);
      return privateKeyPem(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    case 'ed25519':
      charge(COST.ellipticKey);
      return privateKeyPem(generateKeyPairSync('ed25519').privateKey);
  }
  return 'Unknown type ' + typ;
}

/** parsePrivateKeyPEM from sprig: PKCS#8, or "<X> PRIVATE KEY" for RSA/EC/DSA. */
export function parsePrivateKeyPem(pem: string): KeyObject {
  const [block] = pemDecode(pem);
  if (block === null) throw new GoFuncError('no PEM data in input');
  const tryKey = (format: 'pkcs8' | 'pkcs1' | 'sec1', what: string): KeyObject => {
    try {
      return createPrivateKey({ key: block.bytes, format: 'der', type: format });
    } catch {
      throw new GoFuncError(what);
    }
  };
  if (block.type === 'PRIVATE KEY') return tryKey('pkcs8', 'decoding PEM as PKCS#8: invalid key');
  if (!block.type.endsWith(' PRIVATE KEY')) throw new GoFuncError(`no private key data in PEM block of type ${block.type}`);
  switch (block.type.slice(0, -12)) {
    case 'RSA':
      return tryKey('pkcs1', 'parsing RSA private key from PEM: invalid key');
    case 'EC':
      return tryKey('sec1', 'parsing EC private key from PEM: invalid key');
    case 'DSA':
      throw new GoFuncError('x509: only RSA, ECDSA and Ed25519 keys supported');
  }
  throw new GoFuncError(`invalid private key type ${block.type}`);
}

function certificate(cert: string, key: string): GoStruct {
  return new GoStruct({ type: 'sprig.certificate', fields: [['Cert', cert], ['Key', key]] });
}

function stringList(v: GoValue, what: string): string[] {
  if (v === null || (v instanceof GoSlice && v.isNil)) return [];
  return (v as GoSlice).items.map((x) => {
    if (typeof x !== 'string') throw new GoFuncError(`${what}: ${sprint([x])} is not a string`);
    return x;
  });
}

function ips(v: GoValue): string[] {
  return stringList(v, 'error parsing ip').map((ip) => {
    if (isIP(ip) === 0) throw new GoFuncError(`error parsing ip: ${ip}`);
    return ip;
  });
}

function rsa2048(): KeyObject {
  charge(COST.rsa2048);
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

let clock: () => Date = () => new Date();
/** Tests pin the clock; templates cannot. */
export function setCryptoClock(f: () => Date): void {
  clock = f;
}

function makeCert(cn: string, ipList: string[], dns: string[], days: number, isCA: boolean, key: KeyObject, ca: GoStruct | null): GoStruct {
  let issuer = null;
  if (ca !== null) {
    const caCert = ca.fields.get('Cert') as string;
    const caKey = ca.fields.get('Key') as string;
    const [block] = pemDecode(caCert);
    if (block === null) throw new GoFuncError('unable to decode certificate');
    let info;
    try {
      info = parseCertificate(block.bytes);
    } catch (e) {
      throw new GoFuncError(`error parsing certificate: decodedSignerCert.Bytes: ${(e as Error).message}`);
    }
    let signerKey: KeyObject;
    try {
      signerKey = parsePrivateKeyPem(caKey);
    } catch (e) {
      throw new GoFuncError(`error parsing private key: ${(e as Error).message}`);
    }
    issuer = { name: info.subjectName, key: signerKey, keyId: info.subjectKeyId ?? keyId(signerKey) };
  }
  const certDer = createCertificate({ cn, ips: ipList, dnsNames: dns, daysValid: days, isCA, now: clock() }, key, issuer);
  return certificate(der.pem('CERTIFICATE', certDer), privateKeyPem(key));
}

function withKey(pem: string): KeyObject {
  try {
    return parsePrivateKeyPem(pem);
  } catch (e) {
    throw new GoFuncError(`parsing private key: ${(e as Error).message}`);
  }
}

function buildCustomCert(b64cert: string, b64key: string): GoStruct {
  let cert: string;
  let key: string;
  try {
    cert = b64decode(b64cert);
  } catch {
    throw new GoFuncError('unable to decode base64 certificate');
  }
  try {
    key = b64decode(b64key);
  } catch {
    throw new GoFuncError('unable to decode base64 private key');
  }
  const [block] = pemDecode(cert);
  if (block === null) throw new GoFuncError('unable to decode certificate');
  try {
    new X509Certificate(block.bytes);
  } catch (e) {
    throw new GoFuncError(`error parsing certificate: decodedCert.Bytes: ${(e as Error).message}`);
  }
  try {
    parsePrivateKeyPem(key);
  } catch (e) {
    throw new GoFuncError(`error parsing private key: ${(e as Error).message}`);
  }
  return certificate(cert, key);
}

function aesKey(password: string): Buffer {
  const key = Buffer.alloc(32);
  Buffer.from(password, 'latin1').copy(key, 0, 0, 32);
  return key;
}

function encryptAES(password: string, plaintext: string): string {
  if (plaintext === '') return '';
  allocate(plaintext.length * 2);
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', aesKey(password), iv);
  const body = Buffer.concat([c.update(Buffer.from(plaintext, 'latin1')), c.final()]);
  return Buffer.concat([iv, body]).toString('base64');
}

function decryptAES(password: string, crypt64: string): string {
  if (crypt64 === '') return '';
  let crypt: Buffer;
  try {
    crypt = Buffer.from(b64decode(crypt64), 'latin1');
  } catch (e) {
    throw new GoFuncError((e as Error).message);
  }
  if (crypt.length < 16) throw new GoFuncError(`runtime error: slice bounds out of range [:16] with capacity ${crypt.length}`);
  const body = crypt.subarray(16);
  if (body.length % 16 !== 0) throw new GoFuncError('crypto/cipher: input not full blocks');
  if (body.length === 0) throw new GoFuncError('runtime error: index out of range [-1]');
  const d = createDecipheriv('aes-256-cbc', aesKey(password), crypt.subarray(0, 16));
  d.setAutoPadding(false);
  const plain = Buffer.concat([d.update(body), d.final()]);
  const pad = plain[plain.length - 1]!;
  if (pad > plain.length) throw new GoFuncError(`runtime error: slice bounds out of range [:${plain.length - pad}]`);
  return fromBytes(plain.subarray(0, plain.length - pad));
}

export function cryptoFuncs(): GoFunc[] {
  const IFS = '[]interface {}';
  const CERT = 'sprig.certificate';
  return [
    fn('sha1sum', [S], S, (s) => hexHash('sha1', s as string)),
    fn('sha256sum', [S], S, (s) => hexHash('sha256', s as string)),
    fn('sha512sum', [S], S, (s) => hexHash('sha512', s as string)),
    fn('adler32sum', [S], S, (s) => String(adler32(s as string))),
    fn('bcrypt', [S], S, (s) => bcryptHash(s as string)),
    fn('htpasswd', [S, S], S, (u, p) => ((u as string).includes(':') ? `invalid username: ${u as string}` : `${u as string}:${bcryptHash(p as string)}`)),
    fn('randBytes', ['int'], S, (n) => {
      const count = num(n);
      if (count < 0) throw new GoFuncError('runtime error: makeslice: len out of range');
      allocate(count * 2);
      return randomBytes(count).toString('base64');
    }, { canFail: true }),
    fn('uuidv4', [], S, () => randomUUID()),
    fn('derivePassword', ['uint32', S, S, S, S], S, (c, t, p, u, s) => derivePassword(Number((c as GoInt).v), t as string, p as string, u as string, s as string)),
    fn('genPrivateKey', [S], S, (t) => generatePrivateKey(t as string)),
    fn('buildCustomCert', [S, S], CERT, (c, k) => buildCustomCert(c as string, k as string), { canFail: true }),
    fn('genCA', [S, 'int'], CERT, (cn, d) => makeCert(cn as string, [], [], num(d), true, rsa2048(), null), { canFail: true }),
    fn('genCAWithKey', [S, 'int', S], CERT, (cn, d, k) => makeCert(cn as string, [], [], num(d), true, withKey(k as string), null), { canFail: true }),
    fn('genSelfSignedCert', [S, IFS, IFS, 'int'], CERT, (cn, i, dns, d) => makeCert(cn as string, ips(i), stringList(dns, 'error processing alternate dns name'), num(d), false, rsa2048(), null), { canFail: true }),
    fn('genSelfSignedCertWithKey', [S, IFS, IFS, 'int', S], CERT, (cn, i, dns, d, k) => makeCert(cn as string, ips(i), stringList(dns, 'error processing alternate dns name'), num(d), false, withKey(k as string), null), { canFail: true }),
    fn('genSignedCert', [S, IFS, IFS, 'int', CERT], CERT, (cn, i, dns, d, ca) => makeCert(cn as string, ips(i), stringList(dns, 'error processing alternate dns name'), num(d), false, rsa2048(), ca as GoStruct), { canFail: true }),
    fn('genSignedCertWithKey', [S, IFS, IFS, 'int', CERT, S], CERT, (cn, i, dns, d, ca, k) => makeCert(cn as string, ips(i), stringList(dns, 'error processing alternate dns name'), num(d), false, withKey(k as string), ca as GoStruct), { canFail: true }),
    fn('encryptAES', [S, S], S, (p, t) => encryptAES(p as string, t as string), { canFail: true }),
    fn('decryptAES', [S, S], S, (p, c) => decryptAES(p as string, c as string), { canFail: true }),
  ];
}

