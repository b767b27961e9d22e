/** Worker entry for regexp-sites.ts: runs one site and posts its result back. */
import { parentPort, workerData } from 'node:worker_threads';
import { sites } from './regexp-sites.ts';

const { name } = workerData as { name: string };
const site = sites[name];
try {
  if (!site) throw new Error(`no site ${name}`);
  parentPort!.postMessage({ ok: true, value: await site() });
} catch (err) {
  parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
}
