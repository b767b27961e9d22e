/**
 * Redaction of an ExternalSecret's failure, the last line of defence behind
 * the template engine's marks: every value read (or rendered) in the
 * reconcile is cut out of the message, except where it lies inside an
 * identifier the message may name and redaction must leave whole (docs/security.md, "Values in errors"): its own name and
 * namespace, the target Secret's name, and every string of its spec, field
 * names included (store names, remote keys, properties, secretKeys, template
 * names, the words of field paths such as `spec.dataFrom[0].extract`). The
 * spec is the tenant's own manifest, readable by anyone who can read the
 * object, so none of it is secret.
 */
import { isHushError, type HushError } from '../../util/errors.ts';
import { redactValues } from '../../util/redact.ts';
import type { ReadLog } from '../../read/apply.ts';
import { targetNameOf, type ExternalSecretObject } from './spec.ts';

/**
 * `err` with the values of `seen` cut out of its message and the identifiers left whole. The
 * contexts Hush put in front with withContext (field paths, store labels, remote keys: built
 * from identifiers only) are not searched at all; the text they wrap is.
 */
export function redactFailure<E extends HushError>(es: ExternalSecretObject, err: E, seen: ReadLog): E {
  if (seen.values.length === 0) return err;
  const [contexts, inner] = splitContexts(err);
  return err.withMessage(contexts + redactValues(inner, seen.values, [...manifestIdentifiers(es), ...seen.names]));
}

/** The withContext prefixes of `err`'s message, and the message they wrap. */
function splitContexts(err: HushError): [string, string] {
  let contexts = '';
  let cur = err;
  // withContext makes the wrapped error the cause and its message the tail of the new one.
  while (isHushError(cur.cause) && cur.message.endsWith(`: ${cur.cause.message}`)) {
    contexts += cur.message.slice(0, cur.message.length - cur.cause.message.length);
    cur = cur.cause;
  }
  return [contexts, cur.message];
}

export function manifestIdentifiers(es: ExternalSecretObject): string[] {
  const out = new Set<string>();
  if (es.metadata.name) out.add(es.metadata.name);
  if (es.metadata.namespace) out.add(es.metadata.namespace);
  out.add(targetNameOf(es));
  const walk = (x: unknown): void => {
    if (typeof x === 'string') out.add(x);
    else if (Array.isArray(x)) for (const y of x) walk(y);
    else if (x !== null && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) {
        out.add(k);
        walk(v);
      }
    }
  };
  walk(es.spec);
  return [...out];
}
