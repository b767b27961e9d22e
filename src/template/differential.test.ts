/**
 * Differential tests against the real thing: Go's text/template + sprig v3
 * (tools/template-oracle, built from the Go module proxy). Every corpus case
 * and every fuzzed case must render to the same bytes in both engines, or
 * fail in both. Random functions are compared by shape, with Go's own parsers
 * doing the checking. Skipped (with a reason) when no Go toolchain exists.
 *
 * Longer fuzzing: HUSH_TEMPLATE_FUZZ_SECONDS=120 node --test src/template/differential.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corpus } from './testing/corpus.ts';
import { compare } from './testing/differential.ts';
import { generateCases } from './testing/fuzz.ts';
import { renderTemplate } from './index.ts';
import { ensureOracle, runOracle, type OracleCheck } from './testing/oracle.ts';

const oracle = ensureOracle();
const skip = oracle.path === undefined ? (oracle.reason ?? 'no oracle') : false;

function formatDiffs(diffs: ReturnType<typeof compare>): string {
  return diffs
    .slice(0, 10)
    .map((d) => `#${d.index} ${d.template}\n  go: ${d.go}\n  ts: ${d.ts}`)
    .join('\n');
}

describe('template engine agrees with Go text/template + sprig', { skip }, () => {
  it(`renders all ${corpus.length} corpus templates identically`, () => {
    const diffs = compare(oracle.path!, corpus);
    assert.equal(diffs.length, 0, formatDiffs(diffs));
  });

  it('finds no difference on fuzzed templates within the time budget', () => {
    const seconds = Number(process.env.HUSH_TEMPLATE_FUZZ_SECONDS ?? '3');
    const baseSeed = Number(process.env.HUSH_TEMPLATE_FUZZ_SEED ?? '20240501');
    const deadline = Date.now() + seconds * 1000;
    let total = 0;
    for (let batch = 0; Date.now() < deadline; batch++) {
      const seed = baseSeed + batch;
      const cases = generateCases(seed, 1000);
      const diffs = compare(oracle.path!, cases);
      total += cases.length;
      assert.equal(diffs.length, 0, `seed ${seed}:\n${formatDiffs(diffs)}`);
    }
    assert.ok(total >= 1000);
  });
});

describe('random and crypto functions have the shape Go expects', { skip }, () => {
  it('bcrypt and htpasswd hashes verify with Go', () => {
    const hash = renderTemplate('{{ bcrypt .p }}', { p: 'correct horse' });
    const line = renderTemplate('{{ htpasswd "alice" .p }}', { p: 'pässword' });
    assert.match(hash, /^\$2a\$10\$[./A-Za-z0-9]{53}$/);
    assert.match(line, /^alice:\$2a\$10\$/);
    const checks: OracleCheck[] = [
      { kind: 'bcrypt', hash, password: 'correct horse' },
      { kind: 'bcrypt', hash, password: 'wrong' },
      { kind: 'bcrypt', hash: line.slice('alice:'.length), password: 'pässword' },
    ];
    const res = runOracle(oracle.path!, [], checks).checks as { match: boolean }[];
    assert.deepEqual(
      res.map((r) => r.match),
      [true, false, true],
    );
  });

  it('encryptAES output decrypts with sprig decryptAES in Go', () => {
    const c = renderTemplate('{{ encryptAES "k3y" .p }}', { p: 'the plaintext' });
    const r = runOracle(oracle.path!, [{ template: '{{ decryptAES "k3y" .c }}', data: { c } }]).results[0]!;
    assert.equal(r.out?.toString(), 'the plaintext');
  });

  it('genPrivateKey makes keys Go can parse, of the right type', () => {
    const keys = ['ecdsa', 'ed25519', 'rsa', 'dsa'].map((t) => renderTemplate(`{{ genPrivateKey "${t}" }}`, {}));
    const res = runOracle(oracle.path!, [], keys.map((pem) => ({ kind: 'privkey', pem }))).checks as Record<string, unknown>[];
    assert.equal(res[0]!.pemType, 'EC PRIVATE KEY');
    assert.equal(res[0]!.curve, 'P-256');
    assert.equal(res[1]!.type, 'ed25519');
    assert.equal(res[2]!.pemType, 'RSA PRIVATE KEY');
    assert.equal(res[2]!.bits, 4096);
    assert.equal(res[2]!.valid, true);
    assert.equal(res[3]!.type, 'dsa');
  });

  it('genCA, genSelfSignedCert and genSignedCert make certificates Go accepts and verifies', () => {
    const out = renderTemplate(
      [
        '{{- $ca := genCA "hush-ca" 30 -}}',
        '{{- $leaf := genSignedCert "svc" (list "10.0.0.1" "::1") (list "svc.ns.svc" "svc") 7 $ca -}}',
        '{{- $self := genSelfSignedCert "self" nil (list "self.example") 2 -}}',
        '{{ $ca.Cert | b64enc }} {{ $leaf.Cert | b64enc }} {{ $leaf.Key | b64enc }} {{ $self.Cert | b64enc }}',
      ].join(''),
      {},
    );
    const [ca, leaf, leafKey, self] = out.split(' ').map((b) => Buffer.from(b, 'base64').toString());
    const res = runOracle(oracle.path!, [], [
      { kind: 'cert', pem: ca! },
      { kind: 'cert', pem: leaf!, ca: ca! },
      { kind: 'privkey', pem: leafKey! },
      { kind: 'cert', pem: self! },
    ]).checks as Record<string, unknown>[];
    assert.deepEqual({ cn: res[0]!.cn, isCA: res[0]!.isCA, days: res[0]!.days, selfSigned: res[0]!.selfSigned }, { cn: 'hush-ca', isCA: true, days: 30, selfSigned: true });
    assert.equal(res[1]!.cn, 'svc');
    assert.equal(res[1]!.issuerCN, 'hush-ca');
    assert.equal(res[1]!.signedByCA, true);
    assert.equal(res[1]!.isCA, false);
    assert.deepEqual(res[1]!.dnsNames, ['svc.ns.svc', 'svc']);
    assert.deepEqual(res[1]!.ips, ['10.0.0.1', '::1']);
    assert.equal(res[1]!.extKeyUsage, 2);
    assert.equal(res[2]!.pemType, 'RSA PRIVATE KEY');
    assert.equal(res[2]!.bits, 2048);
    assert.equal(res[3]!.selfSigned, true);
    assert.deepEqual(res[3]!.dnsNames, ['self.example']);
  });

  it('random strings have the length and alphabet sprig uses', () => {
    const out = renderTemplate('{{ randAlphaNum 40 }}|{{ randAlpha 40 }}|{{ randNumeric 40 }}|{{ uuidv4 }}|{{ randBytes 24 }}|{{ shuffle "aabbcc" }}', {});
    const [alnum, alpha, numeric, uuid, bytes, shuffled] = out.split('|');
    assert.match(alnum!, /^[A-Za-z0-9]{40}$/);
    assert.match(alpha!, /^[A-Za-z]{40}$/);
    assert.match(numeric!, /^[0-9]{40}$/);
    assert.match(uuid!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(Buffer.from(bytes!, 'base64').length, 24);
    assert.equal([...shuffled!].sort().join(''), 'aabbcc');
    assert.match(renderTemplate('{{ randAscii 200 }}', {}), /^[\x20-\x7e]{200}$/);
    assert.notEqual(renderTemplate('{{ randAlphaNum 32 }}', {}), renderTemplate('{{ randAlphaNum 32 }}', {}));
  });
});
