/** encoding/pem's Decode, closely enough for keys and certificate bundles. */

export interface PemBlock {
  type: string;
  headers: Record<string, string>;
  bytes: Buffer;
}

/**
 * Finds the first well-formed PEM block in a byte string and returns it with
 * the rest of the input after it, or [null, input] when there is none.
 */
export function pemDecode(data: string): [PemBlock | null, string] {
  let rest = data;
  for (;;) {
    let start: number;
    if (rest.startsWith('-----BEGIN ')) start = 0;
    else {
      const i = rest.indexOf('\n-----BEGIN ');
      if (i < 0) return [null, data];
      start = i + 1;
    }
    const afterBegin = rest.slice(start + '-----BEGIN '.length);
    const eol = afterBegin.search(/\r?\n|$/);
    const typeLine = afterBegin.slice(0, eol);
    if (!typeLine.endsWith('-----')) {
      rest = afterBegin;
      continue;
    }
    const type = typeLine.slice(0, -5);
    let body = afterBegin.slice(eol).replace(/^\r?\n/, '');
    const endMarker = `-----END ${type}-----`;
    const endIdx = body.indexOf(endMarker);
    if (endIdx < 0) {
      rest = afterBegin;
      continue;
    }
    let content = body.slice(0, endIdx);
    const headers: Record<string, string> = {};
    // Optional RFC 1421 headers, ended by a blank line.
    if (/^[^\n:]+:/.test(content)) {
      const blank = content.indexOf('\n\n');
      if (blank >= 0) {
        for (const line of content.slice(0, blank).split('\n')) {
          const c = line.indexOf(':');
          if (c > 0) headers[line.slice(0, c).trim()] = line.slice(c + 1).trim();
        }
        content = content.slice(blank + 2);
      }
    }
    const b64 = content.replace(/[ \t\r\n]/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      rest = afterBegin;
      continue;
    }
    body = body.slice(endIdx + endMarker.length);
    const nl = body.search(/\n/);
    const trailing = nl >= 0 ? body.slice(0, nl) : body;
    if (trailing.trim() !== '') {
      rest = afterBegin;
      continue;
    }
    const after = nl >= 0 ? body.slice(nl + 1) : '';
    return [{ type, headers, bytes: Buffer.from(b64, 'base64') }, after];
  }
}

/** All blocks, in order. */
export function pemDecodeAll(data: string): PemBlock[] {
  const out: PemBlock[] = [];
  let rest = data;
  for (;;) {
    const [b, r] = pemDecode(rest);
    if (b === null) return out;
    out.push(b);
    rest = r;
  }
}
