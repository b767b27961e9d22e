/**
 * Test support: every place where a tenant's regular expression runs,
 * called with a catastrophic pattern (one that takes exponential or high
 * polynomial time on a backtracking engine) over a long input. Each site
 * returns a small value the test checks, so "it returned" is a positive
 * answer, not the absence of a hang.
 *
 * The calls run in a worker thread (runSite) because a backtracking match
 * never yields the event loop: a test-runner timeout in the same thread
 * would never fire, and the run would hang instead of going red.
 */
import { Worker } from 'node:worker_threads';

/** Long enough that a backtracking engine would need longer than the age of the universe. */
export const LONG = 30_000;

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export const sites: Record<string, () => Promise<unknown>> = {
  async goregexp() {
    const { compileGoRegexp } = await import('../goregexp.ts');
    const a = 'a'.repeat(LONG);
    const x = 'x'.repeat(LONG);
    const nested = compileGoRegexp('^(a+)+$');
    const alt = compileGoRegexp('(a|a)*b');
    const pair = compileGoRegexp('(x+x+)+y');
    return {
      match: [nested.matchString(a + 'b'), alt.matchString(a), pair.matchString(x)],
      find: [nested.find(a + 'b') === undefined, alt.find(a) === undefined, pair.find(x) === undefined],
      all: alt.findAll(a).length + pair.findAll(x).length,
      replace: nested.replaceAll(a + 'b', 'z').length,
      split: pair.split(x)?.length,
    };
  },

  async rewrite() {
    const { rewriteKeys } = await import('../../controllers/externalsecret/keys.ts');
    const key = 'a'.repeat(LONG) + 'b';
    const out = await rewriteKeys(new Map([[key, enc('v')], ['aaa', enc('w')]]), [{ regexp: { source: '^(a+)+$', target: 'renamed' } }], 'spec.dataFrom[0]');
    return [...out.keys()].map((k) => (k.length > 100 ? `long:${k.length}` : k));
  },

  async findByName() {
    const { fakeProvider } = await import('../../providers/fake/provider.ts');
    const { DEFAULT_CREDENTIAL_POLICY, storeCredentialPolicy } = await import('../../providers/ambient.ts');
    const { devEgress } = await import('../../net/testing/egress.ts');
    const signal = new AbortController().signal;
    const client = await fakeProvider.connect({
      storeKind: 'SecretStore',
      storeName: 'fake',
      egress: devEgress(),
      credentials: storeCredentialPolicy(DEFAULT_CREDENTIAL_POLICY, { storeKind: 'SecretStore', namespace: 'ns' }),
      namespace: 'default',
      spec: { data: [{ key: 'a'.repeat(LONG) + '!', value: 'long' }, { key: 'aaaa', value: 'short' }] },
      storeSpec: {},
      kube: {
        readSecretKey: () => Promise.reject(new Error('unused')),
        readConfigMapKey: () => Promise.reject(new Error('unused')),
        createServiceAccountToken: () => Promise.reject(new Error('unused')),
      },
      recordCall: () => {},
      signal,
    });
    const found = await client.findSecrets({ name: { regexp: '^(a+)+$' } }, signal);
    return [...found.keys()];
  },

  /** A provider over its real client library, against the Secret Manager stand-in on loopback. */
  async findByNameGcpsm() {
    const { gcpsmProvider } = await import('../../providers/gcpsm/provider.ts');
    const { PROJECT_ID, startFakeSecretManager } = await import('../../providers/gcpsm/testing/server.ts');
    const { makeServiceAccountKey, startFakeGoogleTokens } = await import('../../providers/gcpsm/testing/tokens.ts');
    const { MemoryKube, testStoreContext } = await import('../../providers/util/testing/memoryKube.ts');
    const email = 'reader@hush-test.iam.gserviceaccount.com';
    const tokens = await startFakeGoogleTokens();
    const sm = await startFakeSecretManager({ authorize: (t) => tokens.principalOf(t) });
    try {
      const key = await makeServiceAccountKey(email, tokens.tokenUri);
      tokens.registerKey(email, key.publicKeyPem);
      process.env.HUSH_GCPSM_ENDPOINT = sm.url;
      process.env.GCE_METADATA_HOST = tokens.metadataHost;
      // Secret Manager names are at most 255 characters: 2^200 backtracking steps are enough.
      sm.addVersion('a'.repeat(200) + '-', 'long');
      sm.addVersion('aaaa', 'short');
      const kube = new MemoryKube().setSecret('default', 'gcp-key', { 'key.json': key.json });
      const { ctx } = testStoreContext({ spec: { projectID: PROJECT_ID, auth: { secretRef: { secretAccessKeySecretRef: { name: 'gcp-key', key: 'key.json' } } } }, kube });
      const client = await gcpsmProvider.connect(ctx);
      const found = await client.findSecrets({ name: { regexp: '^(a+)+$' } }, new AbortController().signal);
      await client.close();
      return [...found.keys()];
    } finally {
      await sm.stop();
      await tokens.stop();
    }
  },

  async namespaceRegexes() {
    const { StoreResolver } = await import('../../controllers/stores/resolver.ts');
    const { silentLogger } = await import('../log.ts');
    const store = {
      metadata: { name: 'shared', uid: 'u', generation: 1 },
      spec: { provider: { fake: { data: [] } }, conditions: [{ namespaceRegexes: ['^(a+)+$', '(a|a)*b'] }] },
      status: { conditions: [{ type: 'Ready', status: 'True' as const }] },
    };
    const cache = { get: (name: string) => (name === 'shared' ? store : undefined), list: () => [] };
    const { devEgressPolicy } = await import('../../net/testing/egress.ts');
    const resolver = new StoreResolver({
      egress: devEgressPolicy(),
      kube: { server: 'https://x', caPem: undefined } as never,
      stores: cache as never,
      clusterStores: cache as never,
      namespaces: { get: () => undefined, list: () => [] } as never,
      providerFor: () => undefined,
      controllerClass: 'default',
      recordCall: () => undefined,
      logger: silentLogger,
    });
    // A namespace name is at most 63 characters; 2^62 backtracking steps are enough.
    const ns = 'a'.repeat(62) + '-';
    try {
      await resolver.resolve(ns, { name: 'shared', kind: 'ClusterSecretStore' }, 'spec.secretStoreRef');
      return 'allowed';
    } catch (err) {
      return (err as { code?: string }).code;
    }
  },

  async sprig() {
    const { renderTemplate } = await import('../../template/index.ts');
    const s = 'a'.repeat(LONG);
    return renderTemplate(
      '{{ regexMatch "^(a+)+$" (print .s "b") }} {{ len (regexFindAll "(a|a)*b" .s -1) }} {{ len (regexReplaceAll "(a|a)*b" .s "z") }} {{ len (regexSplit "(a|a)*b" .s -1) }} {{ regexFind "(x+x+)+y" .x | len }}',
      { s, x: 'x'.repeat(LONG) },
    );
  },

  async semver() {
    const { renderTemplate } = await import('../../template/index.ts');
    // Masterminds/semver's constraint expression is fixed, but cubic on a backtracking engine in a run of spaces.
    try {
      // The spaces come from a literal, not from the data: a failing call with data among its
      // arguments has its text withheld (template/marks.ts), and this test reads that text.
      return renderTemplate(`{{ semverCompare (print "1" (repeat ${LONG} " ") "!") "1.0.0" }}`, {});
    } catch (err) {
      return /improper constraint/.test((err as Error).message) ? 'improper constraint' : (err as Error).message.slice(0, 200);
    }
  },

  async jsonPath() {
    const { jsonPathGet } = await import('../../providers/webhook/jsonpath.ts');
    const doc = { items: [{ name: 'a'.repeat(LONG) + 'b' }, { name: 'aaa' }] };
    return jsonPathGet('$.items[?(@.name =~ "^(a+)+$")].name', doc);
  },

  async gjson() {
    const { gjsonGet } = await import('../../providers/util/gjson.ts');
    const json = JSON.stringify({ ['a'.repeat(LONG)]: 'long', aaaaaab: 'short' });
    return gjsonGet(json, '*a*a*a*a*a*a*b')?.raw;
  },

  async sops() {
    const { compileRule } = await import('../../sops/rules.ts');
    const { matchCreationRule } = await import('../../sops/config.ts');
    const long = 'a'.repeat(LONG) + 'b';
    const encrypted = compileRule({ key: 'encrypted_regex', value: '^(a+)+$' });
    const comment = compileRule({ key: 'encrypted_comment_regex', value: '(x+x+)+y' });
    const rule = matchCreationRule({ path: '/repo/.sops.yaml', creationRules: [{ path_regex: '^(a+)+$' }, { path_regex: '(a|a)*b', age: 'second' }] }, `/repo/${long}`);
    return { encrypted: encrypted([long], [], false), comment: comment(['k'], [['x'.repeat(LONG)]], false), rule: rule.rule.age };
  },
};

/**
 * Runs `sites[name]` in a worker and resolves with its result, or rejects
 * when it has not finished within `ms` (the worker is then terminated,
 * which stops even a match that never yields).
 */
export function runSite(name: string, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./regexp-site-worker.ts', import.meta.url), { workerData: { name } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`${name}: still matching after ${ms} ms (backtracking?)`));
    }, ms);
    worker.once('message', (m: { ok: true; value: unknown } | { ok: false; error: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (m.ok) resolve(m.value);
      else reject(new Error(`${name}: ${m.error}`));
    });
    worker.once('error', (err: unknown) => {
      clearTimeout(timer);
      reject(err instanceof Error ? err : new Error(String(err)));
    });
  });
}
