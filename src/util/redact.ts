/**
 * The one redactor: the last line of defence for text that may have passed
 * near a secret value or a credential — error messages built from a store's
 * answer (a server may echo what it was sent), an API server's validation
 * error that echoes a field, a template function that quotes its argument.
 * Every known value of 4 or more characters is cut out, also in its
 * JSON-escaped and base64 forms; shorter ones would also hit ordinary words.
 */
export const REDACTED = '[redacted]';

export function redactValues(text: string, values: Iterable<string | Uint8Array>): string {
  let out = text;
  const forms = new Set<string>();
  for (const v of values) {
    const s = typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
    if (s.length < 4) continue;
    forms.add(s);
    // Values also show up JSON-quoted (escaped) or base64-encoded in API and template errors.
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(Buffer.from(s).toString('base64'));
  }
  // Longest first, so a value that contains another is cut whole.
  for (const f of [...forms].sort((a, b) => b.length - a.length)) {
    if (f.length >= 4) out = out.split(f).join(REDACTED);
  }
  return out;
}

const STORE_TEXT_MAX = 300;

/**
 * A store's (or token endpoint's) error text, made fit for a status message:
 * the credentials the client sent are cut out first, then the text is put on
 * one line and capped, since some servers answer with whole HTML pages.
 */
export function redactStoreText(text: string, sent: Iterable<string | Uint8Array>): string {
  const out = redactValues(text, sent).replace(/\s+/g, ' ').trim();
  return out.length > STORE_TEXT_MAX ? out.slice(0, STORE_TEXT_MAX) + '…' : out;
}
