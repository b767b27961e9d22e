import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namespaceMatches, type ClusterExternalSecretObject } from './reconciler.ts';

const ns = (name: string, labels: Record<string, string> = {}) => ({ metadata: { name, labels } });
const spec = (s: Partial<ClusterExternalSecretObject['spec']>): ClusterExternalSecretObject['spec'] => ({ externalSecretSpec: {}, ...s });

test('decision table: which namespaces a ClusterExternalSecret selects (ESO: selectors ORed, with the deprecated fields)', () => {
  const rows: [string, ClusterExternalSecretObject['spec'], ReturnType<typeof ns>, boolean][] = [
    ['no selector at all selects nothing', spec({}), ns('a'), false],
    ['an empty selector selects every namespace', spec({ namespaceSelectors: [{}] }), ns('a'), true],
    ['matchLabels', spec({ namespaceSelectors: [{ matchLabels: { team: 'x' } }] }), ns('a', { team: 'x' }), true],
    ['matchLabels, other value', spec({ namespaceSelectors: [{ matchLabels: { team: 'x' } }] }), ns('a', { team: 'y' }), false],
    ['selectors are ORed', spec({ namespaceSelectors: [{ matchLabels: { team: 'x' } }, { matchLabels: { env: 'prod' } }] }), ns('a', { env: 'prod' }), true],
    ['matchExpressions NotIn', spec({ namespaceSelectors: [{ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }] }), ns('a', { env: 'dev' }), true],
    ['deprecated namespaceSelector still works', spec({ namespaceSelector: { matchLabels: { team: 'x' } } }), ns('a', { team: 'x' }), true],
    ['deprecated namespaces list', spec({ namespaces: ['a', 'b'] }), ns('b'), true],
    ['deprecated namespaces list, not listed', spec({ namespaces: ['a'] }), ns('c'), false],
  ];
  for (const [what, s, n, want] of rows) assert.equal(namespaceMatches(s, n as never), want, what);
});
