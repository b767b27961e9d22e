/**
 * Kubeconfig files with the certificates embedded, so a kubeconfig keeps
 * working when copied elsewhere. Written as JSON, which is valid YAML and
 * which every kubeconfig reader accepts.
 */
import { readFile, writeFile } from 'node:fs/promises';

export interface KubeconfigSpec {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  user: string;
  contextName?: string;
}

export async function writeKubeconfig(file: string, spec: KubeconfigSpec): Promise<void> {
  const b64 = async (f: string): Promise<string> => (await readFile(f)).toString('base64');
  const name = spec.contextName ?? 'hush-dev';
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: spec.server, 'certificate-authority-data': await b64(spec.caFile) } }],
    users: [
      {
        name: spec.user,
        user: { 'client-certificate-data': await b64(spec.certFile), 'client-key-data': await b64(spec.keyFile) },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: spec.user, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  };
  await writeFile(file, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
}
