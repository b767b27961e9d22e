/**
 * ESO's own template helpers (runtime/template/v2): YAML, PEM filtering,
 * certificate chains and SANs, JWK → PEM, RSA-OAEP decryption. The PKCS#12
 * helpers live in pkcs12.ts.
 */
import { constants, createPrivateKey, createPublicKey, privateDecrypt, type JsonWebKey } from 'node:crypto';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { fromBytes, fromText, toText } from '../gostr.ts';
import { marshal, unmarshal } from '../sprig/json.ts';
import { fn, GoFuncError, ifaceMap, stringSlice, type GoFunc, type GoValue, GoMap } from '../values.ts';
import * as der from '../x509/der.ts';
import { parseCertificate, type CertInfo } from '../x509/cert.ts';
import { pemDecode } from '../x509/pem.ts';
import { parsePrivateKeyPem } from '../sprig/crypto.ts';
import { pkcs12Funcs } from './pkcs12.ts';

const S = 'string';

function trimJunk(input: string): string {
  const i = input.indexOf('-----BEGIN');
  return i < 0 ? input : input.slice(i);
}

function pemEncode(type: string, bytes: Buffer): string {
  return der.pem(type, bytes);
}

function filterPEM(pemType: string, input: string): string {
  let data = trimJunk(input);
  let out = '';
  let rest = data;
  for (;;) {
    const [block, r] = pemDecode(data);
    rest = r;
    data = r;
    if (block === null) break;
    if (block.type.toLowerCase() !== pemType.toLowerCase()) continue;
    out += pemEncode(block.type, block.bytes);
  }
  if (out === '' && rest.length !== 0) throw new GoFuncError('error filtering pem: found junk');
  return out;
}

function certs(input: string): CertInfo[] {
  const out: CertInfo[] = [];
  let data = input;
  for (;;) {
    const [block, rest] = pemDecode(data);
    data = rest;
    if (block === null) return out;
    try {
      out.push(parseCertificate(block.bytes));
    } catch (e) {
      throw new GoFuncError(`x509: malformed certificate: ${(e as Error).message}`);
    }
  }
}

/** Orders certificates leaf → intermediates → root by key identifiers, as ESO does. */
export function orderChain(input: string): CertInfo[] {
  const nodes = certs(input).map((cert) => ({ cert, parent: -1, isParent: false }));
  const eq = (a: Buffer | undefined, b: Buffer | undefined): boolean => (a ?? Buffer.alloc(0)).equals(b ?? Buffer.alloc(0));
  nodes.forEach((n, i) => {
    for (let j = 0; j < nodes.length; j++) {
      if (i !== j && eq(n.cert.authorityKeyId, nodes[j]!.cert.subjectKeyId)) {
        nodes[j]!.isParent = true;
        n.parent = j;
        break;
      }
    }
  });
  let leaf = -1;
  nodes.forEach((n, i) => {
    if (!n.isParent) {
      if (leaf >= 0) throw new GoFuncError('found multiple leaf or disjunct certificates');
      leaf = i;
    }
  });
  if (leaf < 0) throw new GoFuncError('no leaf certificate found');
  const out: CertInfo[] = [];
  for (let k = leaf; k >= 0; k = nodes[k]!.parent) {
    if (out.length >= nodes.length) throw new GoFuncError('constructing chain resulted in cycle');
    out.push(nodes[k]!.cert);
  }
  return out;
}

function isRoot(c: CertInfo): boolean {
  return c.authorityKeyId === undefined || c.authorityKeyId.equals(c.subjectKeyId ?? Buffer.alloc(0));
}

function filterCertChain(kind: string, input: string): string {
  const chain = orderChain(input);
  switch (kind) {
    case 'leaf': {
      const c = chain[0]!;
      if (c.authorityKeyId !== undefined && !c.authorityKeyId.equals(c.subjectKeyId ?? Buffer.alloc(0))) return pemEncode('CERTIFICATE', c.raw);
      return '';
    }
    case 'intermediate': {
      let out = '';
      for (const c of chain.slice(1)) {
        if (isRoot(c)) break;
        out += pemEncode('CERTIFICATE', c.raw);
      }
      return out;
    }
    case 'root': {
      const c = chain[chain.length - 1]!;
      return isRoot(c) ? pemEncode('CERTIFICATE', c.raw) : '';
    }
  }
  return '';
}

function certSANs(input: string): GoValue {
  const [block] = pemDecode(trimJunk(input));
  if (block === null) throw new GoFuncError('failed to decode PEM block');
  let c: CertInfo;
  try {
    c = parseCertificate(block.bytes);
  } catch (e) {
    throw new GoFuncError(`failed to parse certificate: ${(e as Error).message}`);
  }
  return stringSlice([...c.dnsNames, ...c.ips, ...c.emails, ...c.uris]);
}

function jwkKey(json: string, priv: boolean): string {
  let jwk: JsonWebKey;
  try {
    jwk = JSON.parse(toText(json)) as JsonWebKey;
  } catch {
    throw new GoFuncError('failed to unmarshal JWK');
  }
  try {
    if (priv) return createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }) as string;
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
  } catch (e) {
    throw new GoFuncError(`failed to parse JWK: ${(e as Error).message}`);
  }
}

function rsaDecrypt(scheme: string, hash: string, input: string, key: string): string {
  if (scheme === 'None') return input;
  if (scheme !== 'RSA-OAEP') throw new GoFuncError(`decryption scheme ${scheme} is not supported`);
  const [block] = pemDecode(key);
  if (block === null) throw new GoFuncError('failed to decode PEM block');
  let k;
  try {
    k = parsePrivateKeyPem(key);
  } catch {
    throw new GoFuncError('could not parse private key: unable to parse private key type');
  }
  if (k.asymmetricKeyType !== 'rsa') throw new GoFuncError('could not parse RSA private key');
  const oaepHash = hash === 'SHA1' ? 'sha1' : hash === 'SHA512' ? 'sha512' : 'sha256';
  try {
    return fromBytes(privateDecrypt({ key: k, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, Buffer.from(input, 'latin1')));
  } catch {
    throw new GoFuncError('error decrypting data with RSA: crypto/rsa: decryption error');
  }
}

/** sigs.k8s.io/yaml Marshal: via JSON, so keys are sorted and numbers are JSON numbers. */
function toYaml(v: GoValue): string {
  try {
    const json = JSON.parse(toText(marshal(v))) as unknown;
    if (json === null) return 'null';
    // YAML 1.1 quoting (y, n, on, off...) as go-yaml v2 does.
    const out = stringifyYaml(json, { version: '1.1', indentSeq: false, sortMapEntries: true, lineWidth: 0 });
    return fromText(out.replace(/\n$/, ''));
  } catch {
    return '';
  }
}

function fromYaml(s: string): GoValue {
  const m = ifaceMap();
  try {
    const parsed = parseYaml(toText(s)) as unknown;
    if (parsed === null || parsed === undefined) return m;
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      m.m.set('Error', 'error unmarshaling JSON: json: cannot unmarshal into Go value of type map[string]interface {}');
      return m;
    }
    const v = unmarshal(fromText(JSON.stringify(parsed)));
    if (v instanceof GoMap) return v;
  } catch {
    m.m.set('Error', 'error converting YAML to JSON');
  }
  return m;
}

export function esoFuncs(): GoFunc[] {
  return [
    ...pkcs12Funcs(),
    fn('toYaml', ['interface {}'], S, (v) => toYaml(v)),
    fn('fromYaml', [S], 'map[string]interface {}', (s) => fromYaml(s as string)),
    fn('filterPEM', [S, S], S, (t, i) => filterPEM(t as string, i as string), { canFail: true }),
    fn('filterCertChain', [S, S], S, (t, i) => filterCertChain(t as string, i as string), { canFail: true }),
    fn('certSANs', [S], '[]string', (i) => certSANs(i as string), { canFail: true }),
    fn('jwkPublicKeyPem', [S], S, (j) => jwkKey(j as string, false), { canFail: true }),
    fn('jwkPrivateKeyPem', [S], S, (j) => jwkKey(j as string, true), { canFail: true }),
    fn('rsaDecrypt', [S, S, S, S], S, (a, b, c, d) => rsaDecrypt(a as string, b as string, c as string, d as string), { canFail: true }),
  ];
}
