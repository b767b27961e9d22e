/**
 * One audit record (a JSON line from a `socket` or `file` audit device) reduced
 * to the little the change feed needs: that a request to `path` succeeded, and
 * in which Vault namespace. Everything else in the record (HMAC'd tokens and
 * values, auth, remote address) is dropped here and never reaches a log.
 */

/** A successful write-like operation that Vault finished. */
export interface AuditWrite {
  /** Vault namespace, without slashes at either end; "" is the root namespace. */
  namespace: string;
  /** Path relative to the namespace, as Vault logged it ("secret/data/app/db"). */
  path: string;
  /** The mount Vault resolved the path to, relative to the namespace and without slashes, when the record says so. */
  mountPoint: string | undefined;
  operation: 'create' | 'update' | 'patch' | 'delete';
}

/** What a line turned out to be: a write to act on, a record to ignore, or a line that is no record at all. */
export type ParsedLine = { kind: 'write'; write: AuditWrite } | { kind: 'ignored' } | { kind: 'invalid' };

const WRITES = new Set(['create', 'update', 'patch', 'delete']);

const trimSlashes = (s: string): string => s.replace(/^\/+|\/+$/g, '');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses one line. Only `response` records count: Vault writes the request
 * record before the backend runs, so a write that the backend then refuses (a
 * check-and-set mismatch, a bad version list) would be a false alarm there,
 * and a write that fails after the ACL check is only visible in the response.
 * A response with an `error` (denied, invalid) or an error body is no change.
 *
 * The device's `prefix` option puts text before the JSON: everything before
 * the first `{` is skipped.
 */
export function parseAuditLine(line: string): ParsedLine {
  const start = line.indexOf('{');
  if (start < 0) return line.trim() === '' ? { kind: 'ignored' } : { kind: 'invalid' };
  let rec: unknown;
  try {
    rec = JSON.parse(start === 0 ? line : line.slice(start));
  } catch {
    return { kind: 'invalid' };
  }
  if (!isObject(rec) || typeof rec.type !== 'string') return { kind: 'invalid' };
  if (rec.type !== 'response') return { kind: 'ignored' };
  // Any non-empty `error` means Vault did not carry the request out (permission denied, bad request, ...).
  if (rec.error !== undefined && rec.error !== null && rec.error !== '') return { kind: 'ignored' };
  const req = rec.request;
  if (!isObject(req) || typeof req.path !== 'string' || typeof req.operation !== 'string') return { kind: 'invalid' };
  if (!WRITES.has(req.operation)) return { kind: 'ignored' };
  // A backend's logical.ErrorResponse (no top-level error) carries data.error; a KV write that worked never does.
  const resp = rec.response;
  if (isObject(resp) && isObject(resp.data) && resp.data.error !== undefined) return { kind: 'ignored' };
  const ns = isObject(req.namespace) && typeof req.namespace.path === 'string' ? trimSlashes(req.namespace.path) : '';
  let mountPoint = typeof req.mount_point === 'string' && req.mount_point !== '' ? trimSlashes(req.mount_point) : undefined;
  // Inside a namespace OpenBao logs the path relative to it but the mount point with it ("team1/secret").
  if (mountPoint !== undefined && ns !== '' && mountPoint.startsWith(ns + '/')) mountPoint = mountPoint.slice(ns.length + 1);
  return {
    kind: 'write',
    write: { namespace: ns, path: trimSlashes(req.path), mountPoint, operation: req.operation as AuditWrite['operation'] },
  };
}
