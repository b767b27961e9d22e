import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TemplateError } from '../template/index.ts';
import { hasCode } from '../util/errors.ts';
import { inProcess, renderTemplates, SandboxMemoryError, SandboxTimeoutError, WorkerPool, type JobRunner } from './index.ts';
import type { RenderJob } from './render.ts';

const testWorker = new URL('./testing/worker.ts', import.meta.url);
const job = (text: string, data: unknown = {}, name = 't'): RenderJob => ({ text, data, name });
const text = (r: { bytes: Uint8Array } | { error: Error }) => ('bytes' in r ? Buffer.from(r.bytes).toString('utf8') : `error: ${r.error.message}`);

/** About a second of bcrypt: under the step budget (15 × 65,000), so only the pool keeps it off the loop. */
const BCRYPT_LOOP = '{{ range until 14 }}{{ bcrypt "x" }}{{ end }}';
/** Fills the heap: 300,000 entries of 1 KB, each step well inside the budgets. */
const HOG = '{{ $d := dict }}{{ range $i := until 1000 }}{{ range $j := until 300 }}{{ $_ := set $d (print $i "-" $j) (repeat 1000 "x") }}{{ end }}{{ end }}';

/**
 * Runs a hostile render and, once it has started, a healthy one; counts event-loop ticks
 * while the hostile one runs. With the pool the healthy answer comes first and the loop ticks.
 */
async function isolation(runner: JobRunner, hostile: string) {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const order: string[] = [];
  try {
    const bad = renderTemplates([job(hostile, {}, 'hostile')], runner).then(
      (r) => order.push(`hostile: ${text(r[0]!)}`),
      (err: Error) => order.push(`hostile failed: ${err.message}`),
    );
    const good = renderTemplates([job('{{ .user }}:{{ .pass }}', { user: 'app', pass: 'pw' }, 'healthy')], runner).then((r) => {
      order.push(`healthy: ${text(r[0]!)}`);
      return ticks;
    });
    const ticksWhenHealthyDone = await good;
    await bad;
    return { order, ticksWhenHealthyDone, ticksTotal: ticks };
  } finally {
    clearInterval(timer);
  }
}

test('a CPU-heavy template runs in a worker: a healthy render submitted after it finishes first, and the event loop keeps ticking', async () => {
  const pool = new WorkerPool({ workers: 2, timeoutMs: 30_000 });
  try {
    const r = await isolation(pool, BCRYPT_LOOP);
    assert.equal(r.order[0], 'healthy: app:pw', `the healthy job is served while the hostile one runs: ${r.order.join(' | ')}`);
    assert.match(r.order[1]!, /^hostile: (\$2a\$10\$.{53}){14}$/);
    assert.ok(r.ticksTotal > 0, 'the event loop ticked while the bcrypt loop ran');
  } finally {
    await pool.close();
  }
  // Control: the same scenario in-process starves everything (this is what the pool prevents).
  const inline = await isolation(inProcess, BCRYPT_LOOP);
  assert.match(inline.order[0]!, /^hostile: /);
  assert.equal(inline.ticksWhenHealthyDone, 0);
});

test('a job over the wall-clock limit fails alone with a TimeoutError; its worker is replaced and serves the next job', { timeout: 60_000 }, async () => {
  const pool = new WorkerPool({ workers: 1, timeoutMs: 200 });
  try {
    await assert.rejects(renderTemplates([job(BCRYPT_LOOP)], pool), (err: unknown) => {
      assert.ok(err instanceof SandboxTimeoutError);
      assert.ok(hasCode(err, 'Timeout') && err.retryable);
      assert.match(err.message, /^rendering the templates took longer than 200 ms and was stopped \(--sandbox-timeout\)/);
      return true;
    });
    assert.equal(pool.replaced, 1);
    const [r] = await renderTemplates([job('{{ "still" | upper }}')], pool);
    assert.equal(text(r!), 'STILL');
  } finally {
    await pool.close();
  }
});

test('a job queued behind a runaway one is served once the runaway is stopped', { timeout: 60_000 }, async () => {
  const pool = new WorkerPool({ workers: 1, timeoutMs: 300, workerUrl: testWorker });
  try {
    const spin = pool.runAny('test.spin', { ms: 60_000 });
    const next = renderTemplates([job('{{ 1 | add 1 }}')], pool);
    await assert.rejects(spin, SandboxTimeoutError);
    assert.equal(text((await next)[0]!), '2');
  } finally {
    await pool.close();
  }
});

test('a template that exhausts its worker\'s heap fails with a memory error; the worker is replaced, other jobs are served', { timeout: 60_000 }, async () => {
  const pool = new WorkerPool({ workers: 2, timeoutMs: 60_000, maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 });
  try {
    const hog = renderTemplates([job(HOG)], pool);
    const healthy = renderTemplates([job('{{ "ok" }}')], pool);
    assert.equal(text((await healthy)[0]!), 'ok');
    await assert.rejects(hog, (err: unknown) => {
      assert.ok(err instanceof SandboxMemoryError);
      assert.ok(hasCode(err, 'InvalidData'));
      assert.match(err.message, /^rendering the templates ran out of memory \(the limit is 32 MB per worker, --sandbox-max-heap-mb\) and was stopped$/);
      return true;
    });
    assert.equal(pool.replaced, 1);
    const [r] = await renderTemplates([job('{{ "after" }}')], pool);
    assert.equal(text(r!), 'after');
  } finally {
    await pool.close();
  }
});

test('a worker killed by a raw allocation loop (not a template) is reported and replaced the same way', { timeout: 60_000 }, async () => {
  const pool = new WorkerPool({ workers: 1, timeoutMs: 60_000, maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 8, workerUrl: testWorker });
  try {
    await assert.rejects(pool.runAny('test.hog', {}), /ran out of memory \(the limit is 24 MB per worker/);
    assert.equal(await pool.runAny('test.spin', { ms: 0, value: 'alive' }), 'alive');
  } finally {
    await pool.close();
  }
});

test('template errors cross the thread as the same class: parse = InvalidSpec, exec = InvalidData, with phase, name, line and column', async () => {
  const pool = new WorkerPool({ workers: 1 });
  try {
    for (const runner of [pool, inProcess]) {
      const [parse, exec, limit, ok] = await renderTemplates(
        [job('{{ if }}', {}, 'p'), job('line1\n  {{ .missing }}', { a: 'x' }, 'e'), job('{{ range until 2000000 }}{{ end }}', {}, 'l'), job('{{ .a }}', { a: new Uint8Array([104, 105]) })],
        runner,
      );
      const errorOf = (r: typeof parse) => {
        assert.ok(r && 'error' in r);
        assert.ok(r.error instanceof TemplateError, `a TemplateError, not ${r.error.constructor.name}`);
        return r.error;
      };
      const p = errorOf(parse);
      assert.deepEqual([p.code, p.phase, p.templateName, p.line, p.retryable], ['InvalidSpec', 'parse', 'p', 1, false]);
      assert.equal(p.message, 'template: p:1: missing value for if');
      const e = errorOf(exec);
      assert.deepEqual([e.code, e.phase, e.templateName, e.line, e.column, e.retryable], ['InvalidData', 'execute', 'e', 2, 5, true]);
      assert.match(e.message, /map has no entry for key "missing"/);
      assert.ok(e.cause instanceof Error, 'the cause travels too');
      const l = errorOf(limit);
      assert.deepEqual([l.code, l.phase], ['InvalidSpec', 'limit']);
      // withContext keeps the class, as the reconciler uses it.
      assert.ok(e.withContext('spec.target.template.data[x]') instanceof TemplateError);
      assert.equal(text(ok!), 'hi');
    }
  } finally {
    await pool.close();
  }
});

test('a closed pool refuses work with Unavailable (retried), and close fails queued jobs the same way', async () => {
  const pool = new WorkerPool({ workers: 1, timeoutMs: 60_000, workerUrl: testWorker });
  assert.equal(await pool.runAny('test.spin', { ms: 0, value: 'up' }), 'up'); // the worker is up: the next job runs in it
  const running = assert.rejects(pool.runAny('test.spin', { ms: 60_000 }), (err: unknown) => hasCode(err, 'Unavailable'));
  const queued = assert.rejects(pool.runAny('test.spin', { ms: 0 }), (err: unknown) => hasCode(err, 'Unavailable'));
  await pool.close();
  await running;
  await queued;
  await assert.rejects(renderTemplates([job('x')], pool), /the sandbox pool is shut down/);
});

test('the operator step budget (--template-max-steps) reaches the workers: a loop the default allows fails under a smaller one, and a larger one admits more than the default', { timeout: 60_000 }, async () => {
  // n thousand iterations, as nested loops: one `until` list of a million items would hit the size limit first.
  const loop = (n: number) => job(`{{ range until ${n / 1000} }}{{ range until 1000 }}{{ end }}{{ end }}ok`, {}, 'loop');
  const small = new WorkerPool({ workers: 1, templateMaxSteps: 1000 });
  const large = new WorkerPool({ workers: 1, templateMaxSteps: 10_000_000, timeoutMs: 30_000 });
  try {
    const [underDefault] = await renderTemplates([loop(5_000)], inProcess);
    assert.ok(underDefault && 'bytes' in underDefault, 'the default budget admits 5000 iterations');
    const [tight] = await renderTemplates([loop(5_000)], small);
    assert.ok(tight && 'error' in tight && /limit of 1000 evaluation steps.*--template-max-steps/.test(tight.error.message), 'a budget of 1000 stops it and names the flag');
    const [overDefault] = await renderTemplates([loop(1_200_000)], inProcess);
    assert.ok(overDefault && 'error' in overDefault, 'the default budget stops 1,200,000 iterations');
    const [roomy] = await renderTemplates([loop(1_200_000)], large);
    assert.ok(roomy && 'bytes' in roomy && Buffer.from(roomy.bytes).toString() === 'ok', 'a budget of 10,000,000 admits them');
  } finally {
    await small.close();
    await large.close();
  }
});
