/** sprig's encodings and paths: base64/base32 (with Go's exact error text), path, url. */
import { GoFuncError, fn, GoMap, ifaceMap, type GoFunc, type GoValue } from '../values.ts';
import { reflectKindName } from '../values.ts';

const S = 'string';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function decodeMap(alphabet: string): Int16Array {
  const m = new Int16Array(256).fill(-1);
  for (let i = 0; i < alphabet.length; i++) m[alphabet.charCodeAt(i)] = i;
  return m;
}
const b64map = decodeMap(B64);
const b32map = decodeMap(B32);

class CorruptInput extends Error {
  constructor(at: number) {
    super(`illegal base64 data at input byte ${at}`);
  }
}

export function b64encode(s: string): string {
  return Buffer.from(s, 'latin1').toString('base64');
}

/** encoding/base64 StdEncoding.DecodeString, including where it reports errors. */
export function b64decode(src: string): string {
  let out = '';
  let si = 0;
  for (;;) {
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    let err: number | undefined;
    let j = 0;
    let done = false;
    for (; j < 4; j++) {
      if (src.length === si) {
        if (j === 0) return out;
        throw new CorruptInput(si - j);
      }
      const ch = src.charCodeAt(si);
      si++;
      const v = b64map[ch]!;
      if (v >= 0) {
        dbuf[j] = v;
        continue;
      }
      if (ch === 10 || ch === 13) {
        j--;
        continue;
      }
      if (ch !== 61) throw new CorruptInput(si - 1);
      // padding
      if (j === 0 || j === 1) throw new CorruptInput(si - 1);
      if (j === 2) {
        while (si < src.length && (src.charCodeAt(si) === 10 || src.charCodeAt(si) === 13)) si++;
        if (si === src.length) throw new CorruptInput(src.length);
        if (src.charCodeAt(si) !== 61) throw new CorruptInput(si - 1);
        si++;
      }
      while (si < src.length && (src.charCodeAt(si) === 10 || src.charCodeAt(si) === 13)) si++;
      if (si < src.length) err = si;
      dlen = j;
      done = true;
      break;
    }
    const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!;
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    out += String.fromCharCode(...bytes.slice(0, dlen - 1));
    if (err !== undefined) throw new CorruptInput(err);
    if (done) return out;
  }
}

export function b32encode(s: string): string {
  const bytes = Buffer.from(s, 'latin1');
  let out = '';
  for (let i = 0; i < bytes.length; i += 5) {
    const chunk = bytes.subarray(i, i + 5);
    let bits = 0n;
    for (let k = 0; k < 5; k++) bits = (bits << 8n) | BigInt(chunk[k] ?? 0);
    const nchars = Math.ceil((chunk.length * 8) / 5);
    for (let k = 0; k < 8; k++) {
      out += k < nchars ? B32[Number((bits >> BigInt(35 - 5 * k)) & 31n)] : '=';
    }
  }
  return out;
}

/** encoding/base32 StdEncoding.DecodeString (newlines stripped first, as Go does). */
export function b32decode(s: string): string {
  const src = s.replace(/[\r\n]/g, '');
  const olen = src.length;
  let p = 0;
  let out = '';
  let end = false;
  const err = (at: number): never => {
    throw new GoFuncError(`illegal base32 data at input byte ${at}`);
  };
  while (p < olen && !end) {
    const dbuf = [0, 0, 0, 0, 0, 0, 0, 0];
    let dlen = 8;
    for (let j = 0; j < 8; ) {
      if (p === olen) err(olen - (olen - p) - j);
      const ch = src.charCodeAt(p);
      p++;
      const rem = olen - p;
      if (ch === 61 && j >= 2 && rem < 8) {
        if (rem + j < 8 - 1) err(olen);
        for (let k = 0; k < 8 - 1 - j; k++) {
          if (rem > k && src.charCodeAt(p + k) !== 61) err(olen - rem + k - 1);
        }
        dlen = j;
        end = true;
        if (dlen === 1 || dlen === 3 || dlen === 6) err(olen - rem - 1);
        break;
      }
      const v = b32map[ch]!;
      if (v < 0) err(olen - rem - 1);
      dbuf[j] = v;
      j++;
    }
    let bits = 0n;
    for (let k = 0; k < 8; k++) bits = (bits << 5n) | BigInt(dbuf[k]!);
    const nbytes = [0, 0, 1, 0, 2, 3, 0, 4, 5][dlen]!;
    for (let k = 0; k < nbytes; k++) out += String.fromCharCode(Number((bits >> BigInt(32 - 8 * k)) & 0xffn));
  }
  return out;
}

// --- path (POSIX) ---
export function pathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p[0] === '/';
  const n = p.length;
  let out = rooted ? '/' : '';
  let r = 0;
  let dotdot = rooted ? 1 : 0;
  if (rooted) r = 1;
  while (r < n) {
    if (p[r] === '/') r++;
    else if (p[r] === '.' && (r + 1 === n || p[r + 1] === '/')) r++;
    else if (p[r] === '.' && p[r + 1] === '.' && (r + 2 === n || p[r + 2] === '/')) {
      r += 2;
      if (out.length > dotdot) {
        let w = out.length - 1;
        while (w > dotdot && out[w] !== '/') w--;
        out = out.slice(0, w);
      } else if (!rooted) {
        if (out.length > 0) out += '/';
        out += '..';
        dotdot = out.length;
      }
    } else {
      if ((rooted && out.length !== 1) || (!rooted && out.length !== 0)) out += '/';
      for (; r < n && p[r] !== '/'; r++) out += p[r];
    }
  }
  return out === '' ? '.' : out;
}

export function pathBase(p: string): string {
  if (p === '') return '.';
  while (p.length > 0 && p[p.length - 1] === '/') p = p.slice(0, -1);
  const i = p.lastIndexOf('/');
  if (i >= 0) p = p.slice(i + 1);
  return p === '' ? '/' : p;
}

export function pathDir(p: string): string {
  const i = p.lastIndexOf('/');
  return pathClean(p.slice(0, i + 1));
}

export function pathExt(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

// --- net/url ---
const hexU = '0123456789ABCDEF';

function shouldEscape(c: number, mode: 'path' | 'host' | 'userinfo' | 'fragment' | 'query'): boolean {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return false;
  if (mode === 'host') {
    if ("!$&'()*+,;=:[]<>\"".includes(String.fromCharCode(c))) return false;
  }
  switch (String.fromCharCode(c)) {
    case '-':
    case '_':
    case '.':
    case '~':
      return false;
    case '$':
    case '&':
    case '+':
    case ',':
    case '/':
    case ':':
    case ';':
    case '=':
    case '?':
    case '@':
      switch (mode) {
        case 'path':
          return c === 0x3f; // ?
        case 'userinfo':
          return c === 0x40 || c === 0x2f || c === 0x3f || c === 0x3a;
        case 'query':
          return true;
        case 'fragment':
          return false;
      }
  }
  if (mode === 'fragment' && "!()*".includes(String.fromCharCode(c))) return false;
  return true;
}

function escape(s: string, mode: 'path' | 'host' | 'userinfo' | 'fragment' | 'query'): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (shouldEscape(c, mode)) out += '%' + hexU[c >> 4]! + hexU[c & 15]!;
    else out += s[i];
  }
  return out;
}

function unescape(s: string, mode: 'path' | 'host' | 'userinfo' | 'fragment'): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new GoFuncError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      out += String.fromCharCode(parseInt(h, 16));
      i += 2;
    } else out += s[i];
  }
  void mode;
  return out;
}

interface ParsedURL {
  scheme: string;
  opaque: string;
  user: { username: string; password?: string } | null;
  host: string;
  path: string;
  rawPath: string;
  rawQuery: string;
  fragment: string;
  forceQuery: boolean;
}

/** A subset of url.Parse good for the absolute and relative URLs templates build. */
export function parseURL(raw: string): ParsedURL {
  const u: ParsedURL = { scheme: '', opaque: '', user: null, host: '', path: '', rawPath: '', rawQuery: '', fragment: '', forceQuery: false };
  let rest = raw;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    u.fragment = unescape(rest.slice(hash + 1), 'fragment');
    rest = rest.slice(0, hash);
  }
  for (let i = 0; i < rest.length; i++) if (rest.charCodeAt(i) < 0x20 || rest.charCodeAt(i) === 0x7f) throw new GoFuncError('net/url: invalid control character in URL');
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (m) {
    u.scheme = m[1]!.toLowerCase();
    rest = rest.slice(m[0].length);
  } else if (/^[0-9+.-]/.test(rest) === false && /^[^/?]*:/.test(rest) && !rest.startsWith('/')) {
    throw new GoFuncError('first path segment in URL cannot contain colon');
  }
  if (rest.endsWith('?') && rest.split('?').length === 2) {
    u.forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      u.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith('/')) {
    if (u.scheme !== '') {
      u.opaque = rest;
      return u;
    }
  }
  if ((u.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    const slash = authority.indexOf('/');
    let path = '';
    if (slash >= 0) {
      path = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      const colon = userinfo.indexOf(':');
      if (colon >= 0) u.user = { username: unescape(userinfo.slice(0, colon), 'userinfo'), password: unescape(userinfo.slice(colon + 1), 'userinfo') };
      else u.user = { username: unescape(userinfo, 'userinfo') };
      authority = authority.slice(at + 1);
    }
    u.host = unescape(authority, 'host');
    rest = path;
  }
  u.path = unescape(rest, 'path');
  if (escape(u.path, 'path') !== rest && rest !== '') u.rawPath = rest;
  return u;
}

function userinfoString(user: { username: string; password?: string }): string {
  let s = escape(user.username, 'userinfo');
  if (user.password !== undefined) s += ':' + escape(user.password, 'userinfo');
  return s;
}

function hostname(host: string): string {
  if (host.startsWith('[')) {
    const i = host.indexOf(']');
    return i >= 0 ? host.slice(1, i) : host;
  }
  const i = host.lastIndexOf(':');
  return i >= 0 && /^:\d*$/.test(host.slice(i)) ? host.slice(0, i) : host;
}

export function urlString(u: ParsedURL): string {
  let buf = '';
  if (u.scheme !== '') buf += u.scheme + ':';
  if (u.opaque !== '') buf += u.opaque;
  else {
    if (u.scheme !== '' || u.host !== '' || u.user !== null) {
      if (u.host !== '' || u.path !== '' || u.user !== null) buf += '//';
      if (u.user !== null) buf += userinfoString(u.user) + '@';
      if (u.host !== '') buf += escape(u.host, 'host');
    }
    const path = u.rawPath !== '' ? u.rawPath : escape(u.path, 'path');
    if (path !== '' && path[0] !== '/' && u.host !== '') buf += '/';
    if (buf === '') {
      const seg = path.split('/')[0] ?? '';
      if (seg.includes(':')) buf += './';
    }
    buf += path;
  }
  if (u.forceQuery || u.rawQuery !== '') buf += '?' + u.rawQuery;
  if (u.fragment !== '') buf += '#' + escape(u.fragment, 'fragment');
  return buf;
}

function dictGetOrEmpty(d: GoMap, key: string): string {
  if (!d.m.has(key)) return '';
  const v = d.m.get(key) ?? null;
  if (typeof v !== 'string') {
    if (v === null) throw new GoFuncError('runtime error: invalid memory address or nil pointer dereference');
    throw new GoFuncError(`unable to parse ${key} key, must be of type string, but ${reflectKindName(v)} found`);
  }
  return v;
}

function urlParse(v: string): GoValue {
  let u: ParsedURL;
  try {
    u = parseURL(v);
  } catch (e) {
    throw new GoFuncError(`unable to parse url: ${(e as Error).message}`);
  }
  return ifaceMap([
    ['scheme', u.scheme],
    ['host', u.host],
    ['hostname', hostname(u.host)],
    ['path', u.path],
    ['query', u.rawQuery],
    ['opaque', u.opaque],
    ['fragment', u.fragment],
    ['userinfo', u.user === null ? '' : userinfoString(u.user)],
  ]);
}

function urlJoin(d: GoMap): string {
  const u: ParsedURL = {
    scheme: dictGetOrEmpty(d, 'scheme'),
    host: dictGetOrEmpty(d, 'host'),
    path: dictGetOrEmpty(d, 'path'),
    rawQuery: dictGetOrEmpty(d, 'query'),
    opaque: dictGetOrEmpty(d, 'opaque'),
    fragment: dictGetOrEmpty(d, 'fragment'),
    user: null,
    rawPath: '',
    forceQuery: false,
  };
  const userinfo = dictGetOrEmpty(d, 'userinfo');
  if (userinfo !== '') u.user = parseURL(`proto://${userinfo}@host`).user;
  return urlString(u);
}

export function encodingFuncs(): GoFunc[] {
  const decodeOrMessage = (f: (s: string) => string) => (s: GoValue) => {
    try {
      return f(s as string);
    } catch (e) {
      return (e as Error).message; // sprig returns the error text as the result
    }
  };
  return [
    fn('b64enc', [S], S, (s) => b64encode(s as string)),
    fn('b64dec', [S], S, decodeOrMessage(b64decode)),
    fn('b32enc', [S], S, (s) => b32encode(s as string)),
    fn('b32dec', [S], S, decodeOrMessage(b32decode)),
    fn('base', [S], S, (p) => pathBase(p as string)),
    fn('dir', [S], S, (p) => pathDir(p as string)),
    fn('clean', [S], S, (p) => pathClean(p as string)),
    fn('ext', [S], S, (p) => pathExt(p as string)),
    fn('isAbs', [S], 'bool', (p) => (p as string).startsWith('/')),
    fn('osBase', [S], S, (p) => pathBase(p as string)),
    fn('osClean', [S], S, (p) => pathClean(p as string)),
    fn('osDir', [S], S, (p) => pathDir(p as string)),
    fn('osExt', [S], S, (p) => pathExt(p as string)),
    fn('osIsAbs', [S], 'bool', (p) => (p as string).startsWith('/')),
    fn('urlParse', [S], 'map[string]interface {}', (s) => urlParse(s as string)),
    fn('urlJoin', ['map[string]interface {}'], S, (d) => urlJoin(d as GoMap)),
  ];
}

