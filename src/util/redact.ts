/**
 * The one redactor: the last line of defence for text that may have passed
 * near a secret value or a credential — error messages built from a store's
 * answer (a server may echo what it was sent), an API server's validation
 * error that echoes a field, a template function that quotes its argument.
 * Every known value of 4 or more characters is cut out, also in its
 * JSON-escaped and base64 forms; shorter ones would also hit ordinary words.
 *
 * `keep` lists identifiers the message may name (Secret, store and key names,
 * field paths: docs/security.md). An occurrence of a value that lies wholly
 * inside one of them is left alone: cutting "unicode" out of the Secret name
 * "extract-unicode-key" would mangle the name and tell the reader the value.
 * An occurrence that reaches beyond the identifier is still cut whole.
 */
export const REDACTED = '[redacted]';

export function redactValues(text: string, values: Iterable<string | Uint8Array>, keep: Iterable<string> = []): string {
  const forms = new Set<string>();
  for (const v of values) {
    const s = typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
    if (s.length < 4) continue;
    forms.add(s);
    // Values also show up JSON-quoted (escaped) or base64-encoded in API and template errors.
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(Buffer.from(s).toString('base64'));
  }
  if (forms.size === 0) return text;
  const kept = spans(text, keep);
  // Every character of every occurrence (overlapping ones too) is cut, unless that occurrence
  // lies wholly inside a kept identifier; each run of cut characters becomes one marker.
  const cut = new Uint8Array(text.length);
  let any = false;
  for (const f of forms) {
    if (f.length < 4) continue;
    for (let at = text.indexOf(f); at >= 0; at = text.indexOf(f, at + 1)) {
      const end = at + f.length;
      if (kept.some(([s, e]) => s <= at && end <= e)) continue;
      cut.fill(1, at, end);
      any = true;
    }
  }
  if (!any) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (cut[i] === 0) out += text[i];
    else if (i === 0 || cut[i - 1] === 0) out += REDACTED;
  }
  return out;
}

/** Where each identifier occurs in `text`, as [start, end) ranges. */
function spans(text: string, identifiers: Iterable<string>): [number, number][] {
  const out: [number, number][] = [];
  for (const id of identifiers) {
    // A shorter identifier cannot hold a value that is long enough to be cut.
    if (id.length < 4) continue;
    for (let at = text.indexOf(id); at >= 0; at = text.indexOf(id, at + 1)) out.push([at, at + id.length]);
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
