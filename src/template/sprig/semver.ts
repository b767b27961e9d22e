/**
 * sprig's `semver` and `semverCompare`, with the semantics of
 * Masterminds/semver v3 (the version sprig v3.3 links): lenient version
 * parsing ("v1", "1.2"), constraint strings with ||, commas, hyphen ranges,
 * x-ranges, ~ and ^, and the rule that prereleases only match constraints
 * that name a prerelease.
 */
import { compileGoRegexp } from '../../util/goregexp.ts';
import { quote } from '../strconv.ts';
import { fn, GoFuncError, GoInt, GoStruct, type GoFunc, type GoValue } from '../values.ts';

export interface Version {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: string;
  metadata: string;
  original: string;
}

// Masterminds/semver's own expressions, run on the Go-regexp engine: the constraint is the
// tenant's template argument, and on a backtracking engine validRe takes cubic time in a run of
// spaces (24 s for 4000). Go's \s is [\t\n\f\r ], which the engine gives as Go does.
const WS = '\\s';
const semVerRe = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;
const cv =
  'v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?' + '(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?' + '(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?';
const ops = '=||!=|>|<|>=|=>|<=|=<|~|~>|\\^';
const constraintRe = compileGoRegexp(`^${WS}*(${ops})${WS}*(${cv})${WS}*$`);
const rangeRe = compileGoRegexp(`${WS}*(${cv})${WS}+-${WS}+(${cv})${WS}*`);
const findRe = compileGoRegexp(`(${ops})${WS}*(${cv})`);
const validRe = compileGoRegexp(`^(${WS}*(${ops})${WS}*(${cv})${WS}*)((?:${WS}+|,${WS}*)(${ops})${WS}*(${cv})${WS}*)*$`);

const NUM = /^[0-9]*$/;
const ALLOWED = /^[0-9A-Za-z-]*$/;
const MAX_U64 = (1n << 64n) - 1n;

function parseUint(s: string): bigint {
  const n = BigInt(s);
  if (n > MAX_U64) throw new GoFuncError(`Error parsing version segment: strconv.ParseUint: parsing ${quote(s)}: value out of range`);
  return n;
}

function validatePrerelease(p: string): void {
  for (const part of p.split('.')) {
    if (NUM.test(part)) {
      if (part.length > 1 && part[0] === '0') throw new GoFuncError('Version segment starts with 0');
    } else if (!ALLOWED.test(part)) throw new GoFuncError('Invalid Prerelease string');
  }
}

function validateMetadata(m: string): void {
  for (const part of m.split('.')) if (!ALLOWED.test(part)) throw new GoFuncError('Invalid Metadata string');
}

/** semver.NewVersion: the lenient parser (missing minor/patch are 0, a leading v is allowed). */
export function parseVersion(v: string): Version {
  const m = semVerRe.exec(v);
  if (m === null) throw new GoFuncError('Invalid Semantic Version');
  const ver: Version = {
    major: parseUint(m[1]!),
    minor: m[2] ? parseUint(m[2].slice(1)) : 0n,
    patch: m[3] ? parseUint(m[3].slice(1)) : 0n,
    pre: m[5] ?? '',
    metadata: m[8] ?? '',
    original: v,
  };
  if (ver.pre !== '') validatePrerelease(ver.pre);
  if (ver.metadata !== '') validateMetadata(ver.metadata);
  return ver;
}

export function versionString(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}` + (v.pre ? `-${v.pre}` : '') + (v.metadata ? `+${v.metadata}` : '');
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === '') return -1;
  if (o === '') return 1;
  const isNum = (x: string): boolean => /^[0-9]+$/.test(x) && BigInt(x) <= MAX_U64;
  const sn = isNum(s);
  const on = isNum(o);
  if (!sn && !on) return s > o ? 1 : -1;
  if (!on) return -1;
  if (!sn) return 1;
  return BigInt(s) > BigInt(o) ? 1 : -1;
}

function comparePrerelease(a: string, b: string): number {
  const sp = a.split('.');
  const op = b.split('.');
  for (let i = 0; i < Math.max(sp.length, op.length); i++) {
    const d = comparePrePart(sp[i] ?? '', op[i] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

/** Version.Compare: precedence per semver 2.0; metadata is ignored. */
export function compareVersions(v: Version, o: Version): number {
  const d = cmp(v.major, o.major) || cmp(v.minor, o.minor) || cmp(v.patch, o.patch);
  if (d !== 0) return d;
  if (v.pre === '' && o.pre === '') return 0;
  if (v.pre === '') return 1;
  if (o.pre === '') return -1;
  return comparePrerelease(v.pre, o.pre);
}

interface Constraint {
  con: Version;
  op: string;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

const isX = (s: string): boolean => s === 'x' || s === 'X' || s === '*';

function parseConstraint(c: string): Constraint {
  const m = constraintRe.find(c)?.groups;
  if (m === undefined) throw new GoFuncError(`improper constraint: ${c}`);
  const [, op = '', whole = '', major = '', minor = '', patch = '', pre = ''] = m;
  let ver = whole;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(major) || major === '') {
    ver = `0.0.0${pre}`;
    dirty = true;
  } else if (isX(minor.replace(/^\./, '')) || minor === '') {
    minorDirty = dirty = true;
    ver = `${major}.0.0${pre}`;
  } else if (isX(patch.replace(/^\./, '')) || patch === '') {
    patchDirty = dirty = true;
    ver = `${major}${minor}.0${pre}`;
  }
  let con: Version;
  try {
    con = parseVersion(ver);
  } catch {
    throw new GoFuncError('constraint Parser Error');
  }
  return { con, op, dirty, minorDirty, patchDirty };
}

/** Hyphen ranges ("1.2 - 1.4.5") become ">= 1.2, <= 1.4.5", replacing the first occurrence as Go does. */
function rewriteRange(s: string): string {
  let out = s;
  for (const { groups: m } of rangeRe.findAll(s)) out = out.replace(m[0]!, () => `>= ${m[1]}, <= ${m[11]} `);
  return out;
}

/** semver.NewConstraint: OR groups of AND-ed constraints. */
export function parseConstraints(c: string): Constraint[][] {
  return rewriteRange(c)
    .split('||')
    .map((group) => {
      if (!validRe.matchString(group)) throw new GoFuncError(`improper constraint: ${group}`);
      const parts = findRe.findAll(group).map((m) => m.groups[0]!);
      return (parts.length > 0 ? parts : [group]).map(parseConstraint);
    });
}

const releaseOnly = (v: Version, c: Constraint): boolean => v.pre !== '' && c.con.pre === '';

function tilde(v: Version, c: Constraint): boolean {
  if (releaseOnly(v, c) || compareVersions(v, c.con) < 0) return false;
  if (c.con.major === 0n && c.con.minor === 0n && c.con.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  return v.minor === c.con.minor || c.minorDirty;
}

const checks: Record<string, (v: Version, c: Constraint) => boolean> = {
  '': (v, c) => {
    if (releaseOnly(v, c)) return false;
    return c.dirty ? tilde(v, c) : compareVersions(v, c.con) === 0;
  },
  '!=': (v, c) => {
    if (c.dirty) {
      if (releaseOnly(v, c)) return false;
      if (c.con.major !== v.major) return true;
      if (c.con.minor !== v.minor && !c.minorDirty) return true;
      if (c.minorDirty) return false;
      if (c.con.patch !== v.patch && !c.patchDirty) return true;
      if (c.patchDirty) {
        if (v.pre !== '' || c.con.pre !== '') return comparePrerelease(v.pre, c.con.pre) !== 0;
        return false;
      }
    }
    return compareVersions(v, c.con) !== 0;
  },
  '>': (v, c) => {
    if (releaseOnly(v, c)) return false;
    if (!c.dirty) return compareVersions(v, c.con) === 1;
    if (v.major > c.con.major) return true;
    if (v.major < c.con.major || c.minorDirty) return false;
    if (c.patchDirty) return v.minor > c.con.minor;
    return compareVersions(v, c.con) === 1;
  },
  '<': (v, c) => !releaseOnly(v, c) && compareVersions(v, c.con) < 0,
  '>=': (v, c) => !releaseOnly(v, c) && compareVersions(v, c.con) >= 0,
  '<=': (v, c) => {
    if (releaseOnly(v, c)) return false;
    if (!c.dirty) return compareVersions(v, c.con) <= 0;
    if (v.major > c.con.major) return false;
    return !(v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty);
  },
  '~': tilde,
  '^': (v, c) => {
    if (releaseOnly(v, c) || compareVersions(v, c.con) < 0) return false;
    if (c.con.major > 0n || c.minorDirty) return v.major === c.con.major;
    if (v.major > 0n) return false;
    if (c.con.minor > 0n || c.patchDirty) return v.minor === c.con.minor;
    if (v.minor > 0n) return false;
    return c.con.patch === v.patch;
  },
};
checks['='] = checks['']!;
checks['=>'] = checks['>=']!;
checks['=<'] = checks['<=']!;
checks['~>'] = checks['~']!;

/** Constraints.Check: true if every constraint of some OR group holds. */
export function satisfies(constraints: Constraint[][], v: Version): boolean {
  return constraints.some((group) => group.every((c) => checks[c.op]!(v, c)));
}

const VERSION = 'semver.Version';
const PTR = '*semver.Version';

/** A *semver.Version (or, from the Inc* methods, a semver.Version value) as templates see it. */
export function versionValue(v: Version, ptr = true): GoStruct {
  const u64 = (n: bigint): GoInt => new GoInt('uint64', n);
  const inc = (n: bigint): bigint => BigInt.asUintN(64, n + 1n); // uint64 wraps
  const next = (change: Partial<Version>): GoStruct => {
    const n = { ...v, metadata: '', pre: '', ...change };
    n.original = (v.original.startsWith('v') ? 'v' : '') + versionString(n);
    return versionValue(n, false);
  };
  const other = (o: GoValue): Version => (o as GoStruct).native as Version;
  const methods: GoFunc[] = [
    fn('Major', [], 'uint64', () => u64(v.major)),
    fn('Minor', [], 'uint64', () => u64(v.minor)),
    fn('Patch', [], 'uint64', () => u64(v.patch)),
    fn('Prerelease', [], 'string', () => v.pre),
    fn('Metadata', [], 'string', () => v.metadata),
    fn('String', [], 'string', () => versionString(v)),
    fn('IncPatch', [], VERSION, () => (v.pre !== '' ? next({}) : next({ patch: inc(v.patch) }))),
    fn('IncMinor', [], VERSION, () => next({ patch: 0n, minor: inc(v.minor) })),
    fn('IncMajor', [], VERSION, () => next({ patch: 0n, minor: 0n, major: inc(v.major) })),
  ];
  if (ptr) {
    // Pointer-receiver methods exist only on *Version.
    methods.push(
      fn('Original', [], 'string', () => v.original),
      fn('Compare', [PTR], 'int', (o) => new GoInt('int', BigInt(compareVersions(v, other(o))))),
      fn('LessThan', [PTR], 'bool', (o) => compareVersions(v, other(o)) < 0),
      fn('LessThanEqual', [PTR], 'bool', (o) => compareVersions(v, other(o)) <= 0),
      fn('GreaterThan', [PTR], 'bool', (o) => compareVersions(v, other(o)) > 0),
      fn('GreaterThanEqual', [PTR], 'bool', (o) => compareVersions(v, other(o)) >= 0),
      fn('Equal', [PTR], 'bool', (o) => compareVersions(v, other(o)) === 0),
    );
  }
  return new GoStruct({
    type: VERSION,
    ptr,
    methods,
    native: v,
    str: () => versionString(v),
    marshalJSON: () => JSON.stringify(versionString(v)),
    // Its fields are unexported: templates reach a version only through its methods.
  });
}

export function semverFuncs(): GoFunc[] {
  return [
    fn('semver', ['string'], PTR, (s) => versionValue(parseVersion(s as string)), { canFail: true }),
    fn('semverCompare', ['string', 'string'], 'bool', (c, v) => satisfies(parseConstraints(c as string), parseVersion(v as string)), { canFail: true }),
  ];
}
