/**
 * The body of a sandbox worker thread: runs one job at a time, as told by the
 * pool (pool.ts), and answers with the result or the failure as data
 * (wire.ts). It keeps no state between jobs beyond loaded modules, so the pool
 * may terminate it at any moment (a job over its time limit) and start another.
 */
import { parentPort } from 'node:worker_threads';
import { toWire, type WireError } from './wire.ts';

export interface JobMessage {
  id: number;
  kind: string;
  input: unknown;
}
export type ReplyMessage = { id: number; ok: true; output: unknown } | { id: number; ok: false; error: WireError };

type AnyHandler = (input: never) => unknown;

export function serve(handlers: Readonly<Record<string, AnyHandler>>): void {
  const port = parentPort;
  if (port === null) throw new Error('a sandbox worker runs as a worker thread (see sandbox/pool.ts)');
  port.on('message', (msg: JobMessage) => {
    void run(handlers, msg).then((reply) => port.postMessage(reply));
  });
  // The pool sends no job (and starts no clock) before this.
  port.postMessage({ ready: true });
}

async function run(handlers: Readonly<Record<string, AnyHandler>>, msg: JobMessage): Promise<ReplyMessage> {
  try {
    const handler = Object.hasOwn(handlers, msg.kind) ? (handlers[msg.kind] as (input: unknown) => unknown) : undefined;
    if (handler === undefined) throw new Error(`unknown sandbox job kind "${msg.kind}"`);
    return { id: msg.id, ok: true, output: await handler(msg.input) };
  } catch (err) {
    return { id: msg.id, ok: false, error: toWire(err) };
  }
}
