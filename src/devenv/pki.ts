/**
 * The dev cluster's private PKI: one CA, a serving certificate for
 * kube-apiserver (also used by kube-controller-manager's health endpoint),
 * client certificates for the admin and the controller manager, and the
 * service-account signing key pair.
 *
 * node:crypto can make keys but not X.509 certificates, so certificates are
 * made with the openssl CLI. Everything is created once per state dir and
 * reused, so tokens and kubeconfigs stay valid across restarts.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InternalError, InvalidConfigError } from '../util/errors.ts';

const run = promisify(execFile);

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  controllerManagerCert: string;
  controllerManagerKey: string;
  /** Service-account token signing key (private) and its public half. */
  saKey: string;
  saPub: string;
}

export function pkiPaths(dir: string): Pki {
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'serving.crt'),
    servingKey: join(dir, 'serving.key'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    controllerManagerCert: join(dir, 'controller-manager.crt'),
    controllerManagerKey: join(dir, 'controller-manager.key'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
  };
}

// The in-cluster names of the `kubernetes` Service are included so the same
// certificate would do for a client that resolves them (first IP of 10.0.0.0/24).
const servingNames = [
  'IP:127.0.0.1',
  'DNS:localhost',
  'IP:10.0.0.1',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
];

const tenYears = '3650';

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 30_000 });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') {
      throw new InvalidConfigError('the openssl command is needed to create the dev cluster certificates but is not on PATH', { cause: err });
    }
    const stderr = (err as { stderr?: string }).stderr?.trim() ?? '';
    throw new InternalError(`openssl ${args[0] ?? ''} failed: ${stderr}`, { cause: err });
  }
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function makeCa(p: Pki): Promise<void> {
  await openssl([
    'req', '-x509', ...ecKey, '-keyout', p.caKey, '-out', p.caCert, '-days', tenYears,
    '-subj', '/CN=hush-dev-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

/** A key and a CA-signed leaf certificate; `subject` like /O=group/CN=user. */
async function makeLeaf(p: Pki, certFile: string, keyFile: string, subject: string, extensions: string): Promise<void> {
  const csr = `${certFile}.csr`;
  const ext = `${certFile}.ext`;
  await openssl(['req', '-new', ...ecKey, '-keyout', keyFile, '-out', csr, '-subj', subject]);
  await writeFile(ext, extensions);
  await openssl([
    'x509', '-req', '-in', csr, '-CA', p.caCert, '-CAkey', p.caKey, '-days', tenYears,
    '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-extfile', ext, '-out', certFile,
  ]);
  await rm(csr, { force: true });
  await rm(ext, { force: true });
}

const clientExt = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';

/** Creates whatever part of the PKI is missing; returns the file paths. */
export async function ensurePki(dir: string): Promise<Pki> {
  const p = pkiPaths(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // A new CA invalidates every certificate signed by the old one.
  const freshCa = !existsSync(p.caCert) || !existsSync(p.caKey);
  if (freshCa) await makeCa(p);
  if (freshCa || !existsSync(p.servingCert)) {
    await makeLeaf(p, p.servingCert, p.servingKey, '/CN=kube-apiserver',
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' +
        `subjectAltName=${servingNames.join(',')}\n`);
  }
  if (freshCa || !existsSync(p.adminCert)) {
    // O=system:masters is the group that RBAC's cluster-admin binding names.
    await makeLeaf(p, p.adminCert, p.adminKey, '/O=system:masters/CN=hush-dev-admin', clientExt);
  }
  if (freshCa || !existsSync(p.controllerManagerCert)) {
    // The user name that the bootstrap RBAC policy grants the controller manager's rights to.
    await makeLeaf(p, p.controllerManagerCert, p.controllerManagerKey, '/CN=system:kube-controller-manager', clientExt);
  }
  if (!existsSync(p.saKey) || !existsSync(p.saPub)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    await writeFile(p.saKey, privateKey, { mode: 0o600 });
    await writeFile(p.saPub, publicKey);
  }
  return p;
}
