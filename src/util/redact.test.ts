import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactValues } from './redact.ts';

test('cuts known values, their JSON-escaped and base64 forms, and leaves short ones', () => {
  const v = 'pa"ss\nword';
  const msg = `parsing time "${JSON.stringify(v).slice(1, -1)}" failed; data ${Buffer.from(v).toString('base64')}; raw ${v}; tiny abc`;
  const out = redactValues(msg, [new TextEncoder().encode(v), 'abc']);
  assert.ok(!out.includes('ss\\nword') && !out.includes(Buffer.from(v).toString('base64')) && !out.includes(v));
  assert.match(out, /\[redacted\].*\[redacted\].*\[redacted\]/);
  assert.match(out, /tiny abc/);
});
