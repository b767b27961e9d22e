/**
 * A minimal PKCS#12 (PFX) reader and writer with go-pkcs12's behaviour, which
 * is what ESO's template helpers use:
 *
 * - reading (DecodeChain, DecodeTrustStore): DER only; MAC with SHA-1/256/512
 *   or PBMAC1; bags encrypted with PBES2 (PBKDF2 + AES-CBC) or the old
 *   pbeWithSHAAnd3-KeyTripleDES-CBC / 40- and 128-bit RC2-CBC; at most two
 *   items in the authenticated safe.
 * - writing (Modern.Encode, Modern.EncodeTrustStore, i.e. go-pkcs12's
 *   Modern2023): PBES2 with PBKDF2-HMAC-SHA-256, 2048 iterations, AES-256-CBC,
 *   16-byte salts, and a SHA-256 MAC over the same iterations.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import * as der from '../x509/der.ts';
import { bmpString, bmpStringZeroTerminated, bmpToUtf8, pkcs12Kdf, Pkcs12Error, type HashName } from './kdf.ts';
import { rc2CbcDecrypt } from './rc2.ts';
import { charge, COST, LimitExceeded } from '../limits.ts';

/** PBKDF2 with its cost charged to the template's budget first (the iteration count comes from the file). */
function pbkdf2(password: Buffer, salt: Buffer, iterations: number, keyLen: number, prf: string): Buffer {
  charge(Math.max(1, iterations) * Math.max(1, Math.ceil(keyLen / 32)) * COST.pbkdf2Iteration);
  return pbkdf2Sync(password, salt, iterations, keyLen, prf);
}

export { Pkcs12Error } from './kdf.ts';

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  javaTrustStore: '2.16.840.1.113894.746875.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha512: '2.16.840.1.101.3.4.2.3',
  pbmac1: '1.2.840.113549.1.5.14',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacSHA1: '1.2.840.113549.2.7',
  hmacSHA256: '1.2.840.113549.2.9',
  hmacSHA512: '1.2.840.113549.2.11',
  aes128: '2.16.840.1.101.3.4.1.2',
  aes192: '2.16.840.1.101.3.4.1.22',
  aes256: '2.16.840.1.101.3.4.1.42',
  tripleDES: '1.2.840.113549.1.12.1.3',
  rc2_128: '1.2.840.113549.1.12.1.5',
  rc2_40: '1.2.840.113549.1.12.1.6',
};

const ITERATIONS = 2048;
const SALT_LEN = 16;

export const ErrIncorrectPassword = 'pkcs12: decryption password incorrect';
const ErrDecryption = 'pkcs12: decryption error, incorrect padding';

// ---------- reading ----------

function parseExact(buf: Buffer): der.Tlv {
  let t: der.Tlv;
  try {
    t = der.parse(buf);
  } catch (e) {
    throw new Pkcs12Error(`asn1: syntax error: ${(e as Error).message}`);
  }
  if (t.raw.length !== buf.length) throw new Pkcs12Error('pkcs12: trailing data found');
  return t;
}

function kids(t: der.Tlv | undefined, tag: number): der.Tlv[] {
  if (t === undefined || t.tag !== tag || t.children === undefined) throw new Pkcs12Error('asn1: structure error: tags don\'t match');
  return t.children;
}

const oidOf = (t: der.Tlv | undefined): string => {
  if (t === undefined || t.tag !== 0x06) throw new Pkcs12Error('asn1: structure error: expected an object identifier');
  return der.oidString(t.value);
};

const intOf = (t: der.Tlv | undefined): number => {
  if (t === undefined || t.tag !== 0x02) throw new Pkcs12Error('asn1: structure error: expected an integer');
  return Number(der.toBigInt(t.value));
};

const octetsOf = (t: der.Tlv | undefined): Buffer => {
  if (t === undefined || t.tag !== 0x04) throw new Pkcs12Error('asn1: structure error: expected an octet string');
  return t.value;
};

/** [0] EXPLICIT: the single element inside. */
const explicit0 = (t: der.Tlv | undefined): der.Tlv => {
  const c = kids(t, 0xa0);
  if (c.length !== 1) throw new Pkcs12Error('asn1: structure error: explicit tag with wrong contents');
  return c[0]!;
};

const hmacHash: Record<string, HashName> = { [OID.hmacSHA1]: 'sha1', [OID.hmacSHA256]: 'sha256', [OID.hmacSHA512]: 'sha512' };

interface Pbkdf2Params {
  salt: Buffer;
  iterations: number;
  keyLength: number;
  prf: HashName;
}

function pbkdf2Params(alg: der.Tlv, what: string): Pbkdf2Params {
  const [kdfOid, params] = kids(alg, 0x30);
  if (oidOf(kdfOid) !== OID.pbkdf2) throw new Pkcs12Error(`pkcs12: ${what} kdf algorithm ${oidOf(kdfOid)} is not supported`);
  const p = kids(params, 0x30);
  if (p[0]?.tag !== 0x04) throw new Pkcs12Error(`pkcs12: only octet string salts are supported for ${what}/pbkdf2`);
  let keyLength = 0;
  let prf: HashName = 'sha1';
  for (const x of p.slice(2)) {
    if (x.tag === 0x02) keyLength = intOf(x);
    else if (x.tag === 0x30) {
      const id = oidOf(kids(x, 0x30)[0]);
      const h = hmacHash[id];
      if (h === undefined) throw new Pkcs12Error(`pkcs12: ${what} prf ${id} is not supported`);
      prf = h;
    }
  }
  return { salt: p[0].value, iterations: intOf(p[1]), keyLength, prf };
}

function unpad(data: Buffer, blockSize: number): Buffer {
  if (data.length === 0) throw new Pkcs12Error('pkcs12: empty encrypted data');
  const n = data[data.length - 1]!;
  if (n === 0 || n > blockSize || data.length < n) throw new Pkcs12Error(ErrDecryption);
  for (let i = data.length - n; i < data.length; i++) if (data[i] !== n) throw new Pkcs12Error(ErrDecryption);
  return data.subarray(0, data.length - n);
}

/** Decrypts a password-based-encrypted blob (an AlgorithmIdentifier and the ciphertext). */
function pbDecrypt(alg: der.Tlv, encrypted: Buffer, password: Buffer): Buffer {
  const [algOid, params] = kids(alg, 0x30);
  const id = oidOf(algOid);
  if (encrypted.length === 0) throw new Pkcs12Error('pkcs12: empty encrypted data');
  if (id === OID.pbes2) {
    const [kdf, scheme] = kids(params, 0x30);
    const p = pbkdf2Params(kdf!, 'pbes2');
    const [schemeOid, ivNode] = kids(scheme, 0x30);
    const sid = oidOf(schemeOid);
    const keyLen = sid === OID.aes256 ? 32 : sid === OID.aes192 ? 24 : sid === OID.aes128 ? 16 : 0;
    if (keyLen === 0) throw new Pkcs12Error(`pkcs12: pbes2 algorithm ${sid} is not supported`);
    const iv = octetsOf(ivNode);
    if (iv.length !== 16) throw new Pkcs12Error(`pkcs12: invalid IV length in PBES2 encryption scheme (IV length ${iv.length} does not match block size 16)`);
    if (encrypted.length % 16 !== 0) throw new Pkcs12Error('pkcs12: input is not a multiple of the block size');
    const key = pbkdf2(bmpToUtf8(password), p.salt, p.iterations, keyLen, p.prf);
    const d = createDecipheriv(`aes-${keyLen * 8}-cbc`, key, iv).setAutoPadding(false);
    return unpad(Buffer.concat([d.update(encrypted), d.final()]), 16);
  }
  const sizes: Record<string, number> = { [OID.tripleDES]: 24, [OID.rc2_128]: 16, [OID.rc2_40]: 5 };
  const keyLen = sizes[id];
  if (keyLen === undefined) throw new Pkcs12Error(`pkcs12: pbe algorithm ${id} is not supported`);
  const p = kids(params, 0x30);
  const salt = octetsOf(p[0]);
  const iterations = intOf(p[1]);
  const key = pkcs12Kdf('sha1', salt, password, iterations, 1, keyLen);
  const iv = pkcs12Kdf('sha1', salt, password, iterations, 2, 8);
  if (encrypted.length % 8 !== 0) throw new Pkcs12Error('pkcs12: input is not a multiple of the block size');
  let plain: Buffer;
  if (id === OID.tripleDES) {
    const d = createDecipheriv('des-ede3-cbc', key, iv).setAutoPadding(false);
    plain = Buffer.concat([d.update(encrypted), d.final()]);
  } else plain = rc2CbcDecrypt(key, iv, encrypted);
  return unpad(plain, 8);
}

const macHash: Record<string, HashName> = { [OID.sha1]: 'sha1', [OID.sha256]: 'sha256', [OID.sha512]: 'sha512' };

function computeMac(macData: der.Tlv, message: Buffer, password: Buffer): { expected: Buffer; got: Buffer } {
  const [digestInfo, saltNode, iterNode] = kids(macData, 0x30);
  const [alg, digest] = kids(digestInfo, 0x30);
  const [algOid, params] = kids(alg, 0x30);
  const id = oidOf(algOid);
  const got = octetsOf(digest);
  if (id === OID.pbmac1) {
    const [kdf, macAlg] = kids(params, 0x30);
    const p = pbkdf2Params(kdf!, 'PBMAC1');
    const h = hmacHash[oidOf(kids(macAlg, 0x30)[0])];
    if (h === undefined) throw new Pkcs12Error('pkcs12: PBMAC1 MAC algorithm is not supported');
    if (p.keyLength <= 0) throw new Pkcs12Error('pkcs12: PBMAC1 requires explicit KeyLength parameter in PBKDF2 parameters');
    if (p.keyLength < 20 || p.keyLength > 64) throw new Pkcs12Error(`pkcs12: PBMAC1 key length ${p.keyLength} is out of range`);
    const key = pbkdf2(bmpToUtf8(password), p.salt, p.iterations, p.keyLength, p.prf);
    return { expected: createHmac(h, key).update(message).digest(), got };
  }
  const h = macHash[id];
  if (h === undefined) throw new Pkcs12Error(`pkcs12: MAC digest algorithm not supported: ${id}`);
  const iterations = iterNode === undefined ? 1 : intOf(iterNode);
  const size = h === 'sha1' ? 20 : h === 'sha256' ? 32 : 64;
  const key = pkcs12Kdf(h, octetsOf(saltNode), password, iterations, 3, size);
  return { expected: createHmac(h, key).update(message).digest(), got };
}

function verifyMac(macData: der.Tlv, message: Buffer, password: Buffer): boolean {
  const { expected, got } = computeMac(macData, message, password);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

interface SafeBag {
  id: string;
  value: der.Tlv;
  attributes: string[];
}

function getSafeContents(pfxData: Buffer, passwordIn: Buffer, min: number, max: number): { bags: SafeBag[]; password: Buffer } {
  let password = passwordIn;
  let pfx: der.Tlv[];
  try {
    pfx = kids(parseExact(pfxData), 0x30);
  } catch (e) {
    throw new Pkcs12Error(`pkcs12: error reading P12 data: ${(e as Error).message}`);
  }
  if (intOf(pfx[0]) !== 3) throw new Pkcs12Error("pkcs12: can only decode v3 PFX PDU's");
  const [ctype, content] = kids(pfx[1], 0x30);
  if (oidOf(ctype) !== OID.data) throw new Pkcs12Error('pkcs12: only password-protected PFX is implemented');
  const authSafeBytes = octetsOf(explicit0(content));
  const macData = pfx[2];
  const emptyPassword = password.length === 2 && password[0] === 0 && password[1] === 0;
  if (macData === undefined) {
    if (!emptyPassword) throw new Pkcs12Error('pkcs12: no MAC in data');
  } else if (!verifyMac(macData, authSafeBytes, password)) {
    // Some writers MAC an empty password as no bytes at all rather than a lone terminator.
    if (!emptyPassword || !verifyMac(macData, authSafeBytes, Buffer.alloc(0))) throw new Pkcs12Error(ErrIncorrectPassword);
    password = Buffer.alloc(0);
  }
  const authenticatedSafe = kids(parseExact(authSafeBytes), 0x30);
  const n = authenticatedSafe.length;
  if (n < min || n > max) {
    throw new Pkcs12Error(
      min === max
        ? `pkcs12: expected exactly ${min} items in the authenticated safe, but this file has ${n}`
        : `pkcs12: expected between ${min} and ${max} items in the authenticated safe, but this file has ${n}`,
    );
  }
  const bags: SafeBag[] = [];
  for (const ci of authenticatedSafe) {
    const [ct, c] = kids(ci, 0x30);
    let data: Buffer;
    const type = oidOf(ct);
    if (type === OID.data) data = octetsOf(explicit0(c));
    else if (type === OID.encryptedData) {
      const [version, eci] = kids(explicit0(c), 0x30);
      if (intOf(version) !== 0) throw new Pkcs12Error('pkcs12: only version 0 of EncryptedData is supported');
      const [, alg, enc] = kids(eci, 0x30);
      if (enc !== undefined && enc.tag !== 0x80) throw new Pkcs12Error('asn1: structure error: encrypted content is not primitive');
      data = pbDecrypt(alg!, enc?.value ?? Buffer.alloc(0), password);
    } else throw new Pkcs12Error('pkcs12: only data and encryptedData content types are supported in authenticated safe');
    for (const bag of kids(parseExact(data), 0x30)) {
      const [id, value, attrs] = kids(bag, 0x30);
      bags.push({
        id: oidOf(id),
        value: explicit0(value),
        attributes: attrs === undefined ? [] : kids(attrs, 0x31).map((a) => oidOf(kids(a, 0x30)[0])),
      });
    }
  }
  return { bags, password };
}

function certFromBag(bag: SafeBag): Buffer {
  const [id, data] = kids(bag.value, 0x30);
  if (oidOf(id) !== OID.x509Certificate) throw new Pkcs12Error('pkcs12: only X509 certificates are supported in cert bags');
  return octetsOf(explicit0(data));
}

function shroudedKey(bag: SafeBag, password: Buffer): Buffer {
  const [alg, enc] = kids(bag.value, 0x30);
  try {
    return pbDecrypt(alg!, octetsOf(enc), password);
  } catch (e) {
    if (e instanceof LimitExceeded) throw e;
    throw new Pkcs12Error(`pkcs12: error decrypting PKCS#8 shrouded key bag: ${(e as Error).message}`);
  }
}

export interface Chain {
  /** PKCS#8 DER of the private key, as stored. */
  key: Buffer;
  /** DER of the first certificate (go-pkcs12 takes it as the leaf). */
  cert: Buffer;
  /** DER of the other certificates, in file order. */
  caCerts: Buffer[];
}

/** pkcs12.DecodeChain. Certificates are returned as DER; the caller parses them. */
export function decodeChain(pfxData: Buffer, password: string): Chain {
  const { bags, password: pw } = getSafeContents(pfxData, bmpStringZeroTerminated(password), 1, 2);
  let key: Buffer | undefined;
  let cert: Buffer | undefined;
  const caCerts: Buffer[] = [];
  for (const bag of bags) {
    if (bag.id === OID.certBag) {
      const c = certFromBag(bag);
      if (cert === undefined) cert = c;
      else caCerts.push(c);
    } else if (bag.id === OID.keyBag || bag.id === OID.shroudedKeyBag) {
      if (key !== undefined) throw new Pkcs12Error('pkcs12: expected exactly one key bag');
      key = bag.id === OID.keyBag ? bag.value.raw : shroudedKey(bag, pw);
    }
  }
  if (cert === undefined) throw new Pkcs12Error('pkcs12: certificate missing');
  if (key === undefined) throw new Pkcs12Error('pkcs12: private key missing');
  return { key, cert, caCerts };
}

/** pkcs12.DecodeTrustStore: certificate bags marked as trusted for Java. */
export function decodeTrustStore(pfxData: Buffer, password: string): Buffer[] {
  const { bags } = getSafeContents(pfxData, bmpStringZeroTerminated(password), 1, 1);
  return bags.map((bag) => {
    if (bag.id !== OID.certBag) throw new Pkcs12Error('pkcs12: expected only certificate bags');
    if (!bag.attributes.includes(OID.javaTrustStore)) throw new Pkcs12Error('pkcs12: trust store contains a certificate that is not marked as trusted');
    return certFromBag(bag);
  });
}

// ---------- writing (go-pkcs12 Modern2023) ----------

function pbes2Encrypt(plain: Buffer, password: Buffer): { alg: Buffer; encrypted: Buffer } {
  const salt = randomBytes(SALT_LEN);
  const iv = randomBytes(16);
  const key = pbkdf2(bmpToUtf8(password), salt, ITERATIONS, 32, 'sha256');
  const c = createCipheriv('aes-256-cbc', key, iv); // PKCS#7 padding, as pbEncrypt adds it
  const encrypted = Buffer.concat([c.update(plain), c.final()]);
  const params = der.seq(
    der.seq(der.oid(OID.pbkdf2), der.seq(der.octets(salt), der.integer(ITERATIONS), der.seq(der.oid(OID.hmacSHA256), der.nullValue()))),
    der.seq(der.oid(OID.aes256), der.octets(iv)),
  );
  return { alg: der.seq(der.oid(OID.pbes2), params), encrypted };
}

const attribute = (id: string, ...values: Buffer[]): Buffer => der.seq(der.oid(id), der.set(...values));

function safeBag(id: string, value: Buffer, attributes: Buffer[] | undefined): Buffer {
  return der.seq(der.oid(id), der.explicit(0, value), ...(attributes === undefined ? [] : [der.set(...attributes)]));
}

const certBag = (certDer: Buffer, attributes: Buffer[]): Buffer =>
  safeBag(OID.certBag, der.seq(der.oid(OID.x509Certificate), der.explicit(0, der.octets(certDer))), attributes);

function encryptedContentInfo(bags: Buffer[], password: Buffer): Buffer {
  const { alg, encrypted } = pbes2Encrypt(der.seq(...bags), password);
  const eci = der.seq(der.oid(OID.data), alg, der.implicitPrim(0, encrypted));
  return der.seq(der.oid(OID.encryptedData), der.explicit(0, der.seq(der.integer(0), eci)));
}

function dataContentInfo(bags: Buffer[]): Buffer {
  return der.seq(der.oid(OID.data), der.explicit(0, der.octets(der.seq(...bags))));
}

function pfx(contentInfos: Buffer[], password: Buffer): Buffer {
  const authSafe = der.seq(...contentInfos);
  const macSalt = randomBytes(SALT_LEN);
  const macKey = pkcs12Kdf('sha256', macSalt, password, ITERATIONS, 3, 32);
  const digest = createHmac('sha256', macKey).update(authSafe).digest();
  const macData = der.seq(der.seq(der.seq(der.oid(OID.sha256)), der.octets(digest)), der.octets(macSalt), der.integer(ITERATIONS));
  return der.seq(der.integer(3), der.seq(der.oid(OID.data), der.explicit(0, der.octets(authSafe))), macData);
}

/** pkcs12.Modern.Encode: key (PKCS#8 DER), leaf certificate and CA certificates (DER). */
export function encode(pkcs8: Buffer, cert: Buffer, caCerts: Buffer[], password: string): Buffer {
  const pw = bmpStringZeroTerminated(password);
  const localKeyId = attribute(OID.localKeyId, der.octets(createHash('sha1').update(cert).digest()));
  const certBags = [certBag(cert, [localKeyId]), ...caCerts.map((c) => certBag(c, []))];
  const { alg, encrypted } = pbes2Encrypt(pkcs8, pw);
  const keyBag = safeBag(OID.shroudedKeyBag, der.seq(alg, der.octets(encrypted)), [localKeyId]);
  return pfx([encryptedContentInfo(certBags, pw), dataContentInfo([keyBag])], pw);
}

/** pkcs12.Modern.EncodeTrustStore: certificates marked as trusted, each named by its subject. */
export function encodeTrustStore(certs: { der: Buffer; friendlyName: string }[], password: string): Buffer {
  const pw = bmpStringZeroTerminated(password);
  const trusted = attribute(OID.javaTrustStore, der.oid(OID.anyExtendedKeyUsage));
  const bags = certs.map((c) => certBag(c.der, [trusted, attribute(OID.friendlyName, der.tlv(0x1e, bmpString(c.friendlyName)))]));
  return pfx([encryptedContentInfo(bags, pw)], pw);
}
