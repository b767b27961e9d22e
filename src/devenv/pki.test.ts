import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ensurePki } from './pki.ts';

const dir = mkdtempSync(join(tmpdir(), 'hush-pki-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cert = (file: string): X509Certificate => new X509Certificate(readFileSync(file));

void test('the dev PKI: a CA, a serving cert for 127.0.0.1, and client certs naming the right groups', async () => {
  const p = await ensurePki(join(dir, 'pki'));
  const ca = cert(p.caCert);
  assert.equal(ca.ca, true);
  for (const leaf of [p.servingCert, p.adminCert, p.controllerManagerCert]) {
    assert.equal(cert(leaf).verify(ca.publicKey), true, `${leaf} is signed by the CA`);
    assert.equal(cert(leaf).ca, false);
  }
  const serving = cert(p.servingCert);
  assert.equal(serving.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(serving.checkHost('localhost'), 'localhost');
  assert.equal(serving.checkHost('kubernetes.default.svc'), 'kubernetes.default.svc');
  assert.match(cert(p.adminCert).subject, /O=system:masters/);
  assert.match(cert(p.controllerManagerCert).subject, /CN=system:kube-controller-manager/);
  // openssl agrees the key usages fit (serverAuth / clientAuth).
  execFileSync('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', p.caCert, p.servingCert]);
  execFileSync('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', p.caCert, p.adminCert]);
  assert.equal(statSync(p.saKey).mode & 0o077, 0, 'the signing key is private');
});

void test('a second call keeps the existing PKI, so kubeconfigs and tokens stay valid', async () => {
  const first = await ensurePki(join(dir, 'again'));
  const before = [first.caCert, first.adminCert, first.saKey].map((f) => readFileSync(f, 'utf8'));
  const second = await ensurePki(join(dir, 'again'));
  assert.deepEqual([second.caCert, second.adminCert, second.saKey].map((f) => readFileSync(f, 'utf8')), before);
});
