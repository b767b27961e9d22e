/**
 * Last line of defence for error text that comes from a store: store error
 * strings are meant to be value-free, but a server may echo what it was sent.
 * Whatever credentials a client sent are cut out before the text is used.
 */
const MAX = 300;

export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 4) continue;
    out = out.split(s).join('[redacted]');
  }
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > MAX ? out.slice(0, MAX) + '…' : out;
}
