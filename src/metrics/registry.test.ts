import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from './registry.ts';
import { createControllerMetrics, setConditionGauge } from './hush.ts';

test('renders counters and gauges in Prometheus text format with ESO names', () => {
  const m = createControllerMetrics();
  m.syncCalls.inc({ name: 'db', namespace: 'team-a' });
  m.syncCalls.inc({ name: 'db', namespace: 'team-a' });
  setConditionGauge(m.esCondition, { name: 'db', namespace: 'team-a' }, 'False');
  const text = m.registry.render();
  assert.match(text, /# TYPE externalsecret_sync_calls_total counter/);
  assert.match(text, /externalsecret_sync_calls_total\{name="db",namespace="team-a"\} 2/);
  assert.match(text, /externalsecret_status_condition\{name="db",namespace="team-a",condition="Ready",status="False"\} 1/);
  assert.match(text, /externalsecret_status_condition\{name="db",namespace="team-a",condition="Ready",status="True"\} 0/);
});

test('escapes label values and removes series of deleted objects', () => {
  const r = new Registry();
  const c = r.counter('x_total', 'x', ['name']);
  c.inc({ name: 'a"b\\c' });
  assert.match(r.render(), /x_total\{name="a\\"b\\\\c"\} 1/);
  c.remove({ name: 'a"b\\c' });
  assert.doesNotMatch(r.render(), /x_total\{/);
});
