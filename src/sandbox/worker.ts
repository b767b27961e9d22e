/** Entry point of a sandbox worker thread (started by pool.ts). */
import { handlers } from './jobs.ts';
import { serve } from './serve.ts';

serve(handlers);
