import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactStoreText, redactValues } from './redact.ts';

test('cuts known values, their JSON-escaped and base64 forms, and leaves short ones', () => {
  const v = 'pa"ss\nword';
  const msg = `parsing time "${JSON.stringify(v).slice(1, -1)}" failed; data ${Buffer.from(v).toString('base64')}; raw ${v}; tiny abc`;
  const out = redactValues(msg, [new TextEncoder().encode(v), 'abc']);
  assert.ok(!out.includes('ss\\nword') && !out.includes(Buffer.from(v).toString('base64')) && !out.includes(v));
  assert.match(out, /\[redacted\].*\[redacted\].*\[redacted\]/);
  assert.match(out, /tiny abc/);
});

test('store text: sent credentials cut out (also JSON-escaped), then one line and capped', () => {
  const token = 's.Tok"en/42';
  const html = `<html>\n  <body>bad token ${token} or ${JSON.stringify(token)}</body>\n</html>`;
  const out = redactStoreText(html, [token]);
  assert.equal(out, '<html> <body>bad token [redacted] or "[redacted]"</body> </html>');
  const long = redactStoreText('x'.repeat(1000), []);
  assert.equal(long.length, 301);
  assert.ok(long.endsWith('…'));
  // Cut before capping: a credential straddling the cap must not leave its first half behind.
  const straddling = redactStoreText('y'.repeat(297) + token, [token]);
  assert.ok(!straddling.includes(token.slice(0, 3)), straddling);
});

test('keep: a value wholly inside a kept identifier stays, one reaching beyond it is cut', () => {
  const msg = 'Secret "extract-unicode-key": unicode; extract-unicode-keyring';
  assert.equal(redactValues(msg, ['unicode'], ['extract-unicode-key']), 'Secret "extract-unicode-key": [redacted]; extract-unicode-keyring');
  assert.equal(redactValues(msg, ['unicode-keyring'], ['extract-unicode-key']), 'Secret "extract-unicode-key": unicode; extract-[redacted]');
  assert.equal(redactValues(msg, ['unicode'], []), 'Secret "extract-[redacted]-key": [redacted]; extract-[redacted]-keyring', 'without keep, as before');
});
