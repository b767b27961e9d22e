/**
 * ESO's PKCS#12 helpers (pkg/template/v2/pkcs12.go): read a keystore's key
 * and certificates as PEM, and build keystores and trust stores from PEM,
 * with go-pkcs12's Modern encoder. Where ESO dereferences a PEM block that
 * is not there, Go panics and text/template reports the panic; so do these.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { decodeChain, encode, encodeTrustStore } from '../pkcs12/pfx.ts';
import { fn, GoFuncError, type GoFunc } from '../values.ts';
import { LimitExceeded } from '../limits.ts';
import { parseCertificate, type CertInfo } from '../x509/cert.ts';
import * as der from '../x509/der.ts';
import { nameString } from '../x509/name.ts';
import { pemDecode } from '../x509/pem.ts';
import { orderChain } from './helpers.ts';

const S = 'string';
const NIL_DEREF = 'runtime error: invalid memory address or nil pointer dereference';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

function parseCert(raw: Buffer): CertInfo {
  try {
    return parseCertificate(raw);
  } catch (e) {
    throw new GoFuncError(`x509: malformed certificate: ${(e as Error).message}`);
  }
}

/** x509.ParsePKCS8PrivateKey then MarshalPKCS8PrivateKey: the key in Go's canonical PKCS#8 form. */
function canonicalPkcs8(key: KeyObject): Buffer {
  return key.export({ type: 'pkcs8', format: 'der' });
}

function keyPem(pass: string, input: string): string {
  let pkcs8: Buffer;
  try {
    pkcs8 = decodeChain(bytes(input), pass).key;
  } catch (e) {
    if (e instanceof LimitExceeded) throw e; // the budget stops the template; not a function error
    throw new GoFuncError(`unable to decode pkcs12 with password: ${(e as Error).message}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch {
    throw new GoFuncError('unable to decode pkcs12 with password: pkcs12: error parsing PKCS#8 private key');
  }
  return der.pem('PRIVATE KEY', canonicalPkcs8(key));
}

function certPem(pass: string, input: string): string {
  let chain;
  try {
    chain = decodeChain(bytes(input), pass);
  } catch (e) {
    if (e instanceof LimitExceeded) throw e; // the budget stops the template; not a function error
    throw new GoFuncError(`unable to decode pkcs12 certificate with password: ${(e as Error).message}`);
  }
  const all = [chain.cert, ...chain.caCerts].map((c) => der.pem('CERTIFICATE', parseCert(c).raw)).join('');
  // ESO orders the chain leaf first when it can, and returns the file's order when it cannot.
  try {
    return orderChain(all)
      .map((c) => der.pem('CERTIFICATE', c.raw))
      .join('');
  } catch {
    return all;
  }
}

/** ESO's parsePrivateKey: PKCS#1, then PKCS#8, then SEC 1. */
function parsePrivateKey(block: Buffer): KeyObject {
  for (const type of ['pkcs1', 'pkcs8', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: block, format: 'der', type });
    } catch {
      // try the next form
    }
  }
  throw new GoFuncError('unable to parse private key type');
}

/** ESO's parseCaCerts: every PEM block must be a certificate; trailing text is a nil block (a panic in Go). */
function parseCaCerts(input: string): CertInfo[] {
  const out: CertInfo[] = [];
  let rest = input;
  while (rest.length > 0) {
    const [block, r] = pemDecode(rest);
    if (block === null) throw new GoFuncError(NIL_DEREF);
    rest = r;
    out.push(parseCert(block.bytes));
  }
  return out;
}

function toPkcs12(cert: string, key: string, pass: string, full: boolean): string {
  const [certBlock, rest] = pemDecode(cert);
  if (certBlock === null) throw new GoFuncError(NIL_DEREF);
  const leaf = parseCert(certBlock.bytes);
  const cas = full ? parseCaCerts(rest) : [];
  const [keyBlock] = pemDecode(key);
  if (keyBlock === null) throw new GoFuncError(NIL_DEREF);
  const k = parsePrivateKey(keyBlock.bytes);
  try {
    return encode(
      canonicalPkcs8(k),
      leaf.raw,
      cas.map((c) => c.raw),
      pass,
    ).toString('base64');
  } catch (e) {
    if (e instanceof LimitExceeded) throw e; // the budget stops the template; not a function error
    throw new GoFuncError((e as Error).message);
  }
}

function trustStore(cert: string, pass: string): string {
  const cas = parseCaCerts(cert);
  try {
    return encodeTrustStore(
      cas.map((c) => ({ der: c.raw, friendlyName: nameString(c.subjectName) })),
      pass,
    ).toString('base64');
  } catch (e) {
    if (e instanceof LimitExceeded) throw e; // the budget stops the template; not a function error
    throw new GoFuncError((e as Error).message);
  }
}

export function pkcs12Funcs(): GoFunc[] {
  const f = { canFail: true };
  return [
    fn('pkcs12key', [S], S, (i) => keyPem('', i as string), f),
    fn('pkcs12keyPass', [S, S], S, (p, i) => keyPem(p as string, i as string), f),
    fn('pkcs12cert', [S], S, (i) => certPem('', i as string), f),
    fn('pkcs12certPass', [S, S], S, (p, i) => certPem(p as string, i as string), f),
    fn('pemToPkcs12', [S, S], S, (c, k) => toPkcs12(c as string, k as string, '', false), f),
    fn('pemToPkcs12Pass', [S, S, S], S, (c, k, p) => toPkcs12(c as string, k as string, p as string, false), f),
    fn('fullPemToPkcs12', [S, S], S, (c, k) => toPkcs12(c as string, k as string, '', true), f),
    fn('fullPemToPkcs12Pass', [S, S, S], S, (c, k, p) => toPkcs12(c as string, k as string, p as string, true), f),
    fn('pemTruststoreToPKCS12', [S], S, (c) => trustStore(c as string, ''), f),
    fn('pemTruststoreToPKCS12Pass', [S, S], S, (c, p) => trustStore(c as string, p as string), f),
  ];
}
