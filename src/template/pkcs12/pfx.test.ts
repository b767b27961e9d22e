/**
 * PKCS#12 compatibility with go-pkcs12, by round trip through the Go oracle
 * (salts are random, so bytes cannot be compared): keystores Hush writes must
 * open in Go with the same key and certificates, and keystores Go writes with
 * each of its encoders must open in Hush exactly as they open in ESO.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as fx from '../testing/corpus-fixtures.ts';
import { compare } from '../testing/differential.ts';
import { renderTemplate } from '../index.ts';
import { ensureOracle, runOracle, type OracleCheck } from '../testing/oracle.ts';
import { pemDecodeAll } from '../x509/pem.ts';
import * as der from '../x509/der.ts';
import { decodeChain, decodeTrustStore } from './pfx.ts';

const oracle = ensureOracle();
const skip = oracle.path === undefined ? (oracle.reason ?? 'no oracle') : false;

// Go's pem.Encode output for each block of a bundle, to compare certificates byte for byte.
const certsOf = (bundle: string): string[] => pemDecodeAll(bundle).map((b) => der.pem('CERTIFICATE', b.bytes));

interface Decoded {
  key?: string;
  cert?: string;
  cas?: string[];
  trustStore?: string[];
  error?: string;
}

function goDecode(b64: string, password: string): Decoded {
  return runOracle(oracle.path!, [], [{ kind: 'pkcs12', b64, password }]).checks[0] as Decoded;
}

describe('PKCS#12 keystores Hush writes open in go-pkcs12', { skip }, () => {
  it('pemToPkcs12Pass and fullPemToPkcs12Pass: same key, leaf and CA chain', () => {
    const data = { cert: fx.leaf, chain: fx.leaf + fx.intermediate + fx.root, key: fx.leafKey, rsaCert: fx.rsaCert, rsaKey: fx.rsaKey };
    const out = renderTemplate(
      '{{ pemToPkcs12Pass .cert .key "s3cret" }} {{ fullPemToPkcs12Pass .chain .key "pässwörd" }} {{ fullPemToPkcs12 .chain .key }} {{ pemToPkcs12 .rsaCert .rsaKey }}',
      data,
    );
    const [single, full, fullNoPass, rsa] = out.split(' ');
    // The key as ESO's pkcs12key prints it (PKCS #8 PEM), from Hush's own reader.
    const leafKeyPem = renderTemplate('{{ b64dec .p | pkcs12keyPass "s3cret" }}', { p: single! });
    const rsaKeyPem = renderTemplate('{{ b64dec .p | pkcs12key }}', { p: rsa! });

    const a = goDecode(single!, 's3cret');
    assert.equal(a.error, undefined);
    assert.equal(a.key, leafKeyPem);
    assert.equal(a.cert, certsOf(fx.leaf)[0]);
    assert.deepEqual(a.cas, []);

    const b = goDecode(full!, 'pässwörd');
    assert.equal(b.key, leafKeyPem);
    assert.equal(b.cert, certsOf(fx.leaf)[0]);
    assert.deepEqual(b.cas, certsOf(fx.intermediate + fx.root));

    const c = goDecode(fullNoPass!, '');
    assert.equal(c.key, leafKeyPem);
    assert.equal(c.cas?.length, 2);

    const d = goDecode(rsa!, '');
    assert.equal(d.key, rsaKeyPem);
    assert.match(rsaKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(d.cert, certsOf(fx.rsaCert)[0]);

    assert.match(goDecode(single!, 'wrong').error ?? '', /decryption password incorrect/);
  });

  it('pemTruststoreToPKCS12(Pass): every certificate, marked as trusted', () => {
    const bundle = fx.root + fx.intermediate + fx.leaf;
    const [withPass, without] = renderTemplate('{{ pemTruststoreToPKCS12Pass .b "changeit" }} {{ pemTruststoreToPKCS12 .b }}', { b: bundle }).split(' ');
    assert.deepEqual(goDecode(withPass!, 'changeit').trustStore, certsOf(bundle));
    assert.deepEqual(goDecode(without!, '').trustStore, certsOf(bundle));
    assert.ok(goDecode(withPass!, 'nope').error);
  });
});

describe('PKCS#12 keystores go-pkcs12 writes open in Hush as in ESO', { skip }, () => {
  const encoders = ['modern', 'modern2026', 'legacyRC2', 'legacyDES', 'passwordless'] as const;
  const chain = fx.leaf + fx.intermediate + fx.root;

  it('with every go-pkcs12 encoder: pkcs12key/pkcs12cert render byte for byte as Go renders them', () => {
    const checks: OracleCheck[] = encoders.map((encoder) => ({ kind: 'p12encode', pem: chain, key: fx.leafKey, password: encoder === 'passwordless' ? '' : 'pw', encoder }));
    const made = runOracle(oracle.path!, [], checks).checks as { b64?: string; error?: string }[];
    const cases = made.flatMap((m, i) => {
      assert.equal(m.error, undefined);
      const pw = encoders[i] === 'passwordless' ? '' : 'pw';
      return [
        { template: `{{ .p | b64dec | pkcs12keyPass "${pw}" }}{{ .p | b64dec | pkcs12certPass "${pw}" }}`, data: { p: m.b64! } },
        { template: '{{ .p | b64dec | pkcs12keyPass "not-it" }}', data: { p: m.b64! } },
      ];
    });
    assert.deepEqual(compare(oracle.path!, cases), []);
    // Agreeing is not enough (both could fail): each keystore opens, and holds what went in, leaf first.
    made.forEach((m, i) => {
      const pw = encoders[i] === 'passwordless' ? '' : 'pw';
      assert.match(renderTemplate(cases[2 * i]!.template, cases[2 * i]!.data), /^-----BEGIN PRIVATE KEY-----\n[^]*-----BEGIN CERTIFICATE-----/);
      const chainOut = decodeChain(Buffer.from(m.b64!, 'base64'), pw);
      assert.deepEqual([chainOut.cert, ...chainOut.caCerts].map((c) => der.pem('CERTIFICATE', c)), certsOf(chain));
    });
  });

  it('reads go-pkcs12 trust stores (modern and legacy) with the right certificates', () => {
    const checks: OracleCheck[] = (['modern', 'legacyRC2', 'modern2026'] as const).map((encoder) => ({ kind: 'p12encode', pem: chain, password: 'ts', encoder }));
    const made = runOracle(oracle.path!, [], checks).checks as { b64: string }[];
    for (const m of made) {
      const certs = decodeTrustStore(Buffer.from(m.b64, 'base64'), 'ts').map((c) => der.pem('CERTIFICATE', c));
      assert.deepEqual(certs, certsOf(chain));
      assert.throws(() => decodeTrustStore(Buffer.from(m.b64, 'base64'), 'bad'), /decryption password incorrect/);
    }
  });
});
