/** The controller runtime's public surface. Nothing here knows about secrets. */
export * from './resources.ts';
export * from './client.ts';
export * from './informer.ts';
export * from './workqueue.ts';
export * from './events.ts';
export * from './leader.ts';
export * from './shutdown.ts';
export { Backoff } from './backoff.ts';
