/** Go durations in the API (refreshInterval, refreshTime, retryInterval): see util/duration.ts. */
export { parseGoDuration } from '../util/duration.ts';
