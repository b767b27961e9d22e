import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_STEPS, renderTemplate, TemplateError } from './index.ts';
import { COST } from './limits.ts';
import { renderTemplates, WorkerPool } from '../sandbox/index.ts';

test('CPU-heavy functions are charged their real cost: a loop of them is stopped by the step budget, after a few calls, before the wall clock', async () => {
  // In a worker with a generous clock: counted as one step each, these loops would run into it (a TimeoutError).
  const pool = new WorkerPool({ workers: 1, timeoutMs: 30_000 });
  const stepLimit = async (text: string): Promise<TemplateError> => {
    const [r] = await renderTemplates([{ text, data: {}, name: 't' }], pool);
    assert.ok(r && 'error' in r, 'the template rendered');
    assert.ok(r.error instanceof TemplateError);
    return r.error;
  };
  for (const [text, cost] of [
    ['{{ range until 100000 }}{{ genPrivateKey "rsa" }}{{ end }}', COST.rsa4096],
    ['{{ range until 100000 }}{{ bcrypt "x" }}{{ end }}', COST.bcrypt],
    ['{{ range until 100000 }}{{ htpasswd "u" "p" }}{{ end }}', COST.bcrypt],
    ['{{ range until 100000 }}{{ derivePassword 1 "long" "pw" "user" "site" }}{{ end }}', COST.scrypt],
    ['{{ range until 100000 }}{{ (genCA "x" 1).Cert }}{{ end }}', COST.rsa2048],
  ] as const) {
    const err = await stepLimit(text);
    assert.equal(err.phase, 'limit', text);
    assert.equal(err.code, 'InvalidSpec');
    assert.match(err.message, /exceeded the limit of 1000000 evaluation steps/);
    assert.ok(DEFAULT_MAX_STEPS / cost < 30, 'few calls fit in the budget');
  }
  await pool.close();
});

test('one heavy call still fits a template (ESO templates that make one key keep working)', () => {
  assert.match(renderTemplate('{{ genPrivateKey "rsa" }}', {}), /^-----BEGIN RSA PRIVATE KEY-----/);
  assert.match(renderTemplate('{{ range until 3 }}{{ bcrypt "x" }}{{ end }}', {}), /^(\$2a\$10\$.{53}){3}$/);
});
