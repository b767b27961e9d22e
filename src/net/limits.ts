/**
 * Response size limits. A store's answer (and the Kubernetes API's) is read
 * into memory; without a cap a hostile or broken server could stream without
 * end and run the controller out of memory. Bytes are counted as they arrive
 * and the request is aborted past the cap, so nothing beyond it is buffered.
 */
import { InvalidDataError } from '../util/errors.ts';

/** Store answers: a few secrets' worth, far above any real one (a Kubernetes Secret holds at most 1 MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export function responseTooLarge(where: string, limit: number): InvalidDataError {
  return new InvalidDataError(
    `the answer from ${where} is larger than ${limit} bytes, the response size limit; the request was aborted (raise --max-response-bytes on the controller if the store legitimately answers this much)`,
  );
}

/** Parses a byte count: "4194304", "4Mi", "512Ki", "1Gi". */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(text.trim());
  if (!m) return undefined;
  const mult = m[2] === 'Ki' ? 1024 : m[2] === 'Mi' ? 1024 ** 2 : m[2] === 'Gi' ? 1024 ** 3 : 1;
  const n = Number(m[1]) * mult;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
