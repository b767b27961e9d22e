/**
 * Tree paths as `sops --extract`, `set` and `unset` take them:
 * `["data"]["password"]`, `["list"][0]`. Looking up, setting (creating maps
 * on the way, as sops does) and removing a value.
 */
import { InvalidSpecError, PropertyNotFoundError } from '../util/errors.ts';
import type { MapItem, MapNode, Value } from './tree.ts';
import { entry, isComment, isMap, mapNode } from './tree.ts';

export type PathStep = string | number;

export function parseTreePath(s: string): PathStep[] {
  const steps: PathStep[] = [];
  let rest = s.trim();
  while (rest.length > 0) {
    const m = /^\[\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\d+))\s*\]/.exec(rest);
    if (!m) throw new InvalidSpecError(`invalid tree path ${JSON.stringify(s)}: expected ["key"] or [index] steps`);
    if (m[1] !== undefined) steps.push(JSON.parse(`"${m[1]}"`) as string);
    else if (m[2] !== undefined) steps.push(m[2]);
    else steps.push(Number(m[3]));
    rest = rest.slice(m[0].length).trimStart();
  }
  if (steps.length === 0) throw new InvalidSpecError('the tree path is empty');
  return steps;
}

export function describeSteps(steps: readonly PathStep[]): string {
  return steps.map((s) => (typeof s === 'number' ? `[${s}]` : `[${JSON.stringify(s)}]`)).join('');
}

function items(seq: Value[]): Value[] {
  return seq.filter((x) => !isComment(x));
}

export function getPath(doc: MapNode, steps: readonly PathStep[]): Value {
  let cur: Value = doc;
  for (const [i, step] of steps.entries()) {
    if (typeof step === 'string' && isMap(cur)) {
      const found: MapItem | undefined = cur.items.find((it) => it.kind === 'entry' && it.key === step);
      if (!found || found.kind !== 'entry') throw new PropertyNotFoundError(`key ${describeSteps(steps.slice(0, i + 1))} not found`);
      cur = found.value;
    } else if (typeof step === 'number' && Array.isArray(cur)) {
      const list = items(cur);
      if (step >= list.length) throw new PropertyNotFoundError(`index ${describeSteps(steps.slice(0, i + 1))} out of range`);
      cur = list[step]!;
    } else throw new PropertyNotFoundError(`${describeSteps(steps.slice(0, i + 1))} does not exist (wrong type along the path)`);
  }
  return cur;
}

/** Returns a new document with the value at `steps` set (maps created as needed). */
export function setPath(doc: MapNode, steps: readonly PathStep[], value: Value): MapNode {
  const set = (cur: Value, i: number): Value => {
    if (i === steps.length) return value;
    const step = steps[i]!;
    if (typeof step === 'string') {
      const m = isMap(cur) ? cur : mapNode();
      const idx = m.items.findIndex((it) => it.kind === 'entry' && it.key === step);
      const next = [...m.items];
      if (idx >= 0) next[idx] = entry(step, set((m.items[idx] as { value: Value }).value, i + 1));
      else next.push(entry(step, set(null, i + 1)));
      return mapNode(next);
    }
    const list = Array.isArray(cur) ? [...cur] : [];
    let seen = -1;
    for (let j = 0; j < list.length; j++) {
      if (isComment(list[j])) continue;
      if (++seen === step) {
        list[j] = set(list[j]!, i + 1);
        return list;
      }
    }
    if (step === seen + 1) list.push(set(null, i + 1));
    else throw new InvalidSpecError(`index ${describeSteps(steps.slice(0, i + 1))} is past the end of the list`);
    return list;
  };
  return set(doc, 0) as MapNode;
}

/** Returns a new document without the value at `steps`; errors when it is absent. */
export function unsetPath(doc: MapNode, steps: readonly PathStep[]): MapNode {
  getPath(doc, steps); // throws PropertyNotFoundError when absent
  const unset = (cur: Value, i: number): Value => {
    const step = steps[i]!;
    const last = i === steps.length - 1;
    if (typeof step === 'string' && isMap(cur)) {
      const idx = cur.items.findIndex((it) => it.kind === 'entry' && it.key === step);
      const next = [...cur.items];
      if (last) next.splice(idx, 1);
      else next[idx] = entry(step, unset((cur.items[idx] as { value: Value }).value, i + 1));
      return mapNode(next);
    }
    const list = [...(cur as Value[])];
    let seen = -1;
    for (let j = 0; j < list.length; j++) {
      if (isComment(list[j])) continue;
      if (++seen === step) {
        if (last) list.splice(j, 1);
        else list[j] = unset(list[j]!, i + 1);
        break;
      }
    }
    return list;
  };
  return unset(doc, 0) as MapNode;
}
