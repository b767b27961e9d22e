/**
 * A sandbox worker with extra jobs for the pool's own tests: spin the CPU,
 * allocate until the heap limit, fail. The real jobs are there too, so a test
 * can mix a hostile job with a healthy render on the same pool.
 */
import { handlers } from '../jobs.ts';
import { serve } from '../serve.ts';

export const testHandlers = {
  ...handlers,
  /** Busy for `ms` of wall clock, then answers `value`. */
  'test.spin': (input: { ms: number; value?: unknown }): unknown => {
    for (const end = Date.now() + input.ms; Date.now() < end; );
    return input.value;
  },
  /** Keeps allocating until the heap limit kills the thread. */
  'test.hog': (): number => {
    const hold: number[][] = [];
    for (;;) hold.push(Array.from({ length: 16384 }, (_, j) => j + hold.length));
  },
  'test.fail': (input: { message: string }): never => {
    throw new Error(input.message);
  },
};

serve(testHandlers);
