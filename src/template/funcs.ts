/**
 * The function table ESO templates see: Go's builtins, then sprig v3 without
 * env/expandenv/getHostByName, then ESO's own helpers (later entries win, so
 * sprig's `slice` replaces the builtin, as Funcs() does in Go).
 */
import { builtinFuncs } from './builtins.ts';
import { esoFuncs } from './eso/helpers.ts';
import { collectionFuncs } from './sprig/collections.ts';
import { cryptoFuncs } from './sprig/crypto.ts';
import { dateFuncs } from './sprig/date.ts';
import { encodingFuncs } from './sprig/encoding.ts';
import { jsonFuncs } from './sprig/json.ts';
import { mathFuncs } from './sprig/math.ts';
import { regexFuncs } from './sprig/regex.ts';
import { semverFuncs } from './sprig/semver.ts';
import { stringFuncs } from './sprig/strings.ts';
import type { GoFunc } from './values.ts';

let cached: GoFunc[] | undefined;

export function sprigFuncs(): GoFunc[] {
  return [...stringFuncs(), ...collectionFuncs(), ...mathFuncs(), ...encodingFuncs(), ...jsonFuncs(), ...cryptoFuncs(), ...regexFuncs(), ...dateFuncs(), ...semverFuncs()];
}

export function defaultFuncs(): GoFunc[] {
  cached ??= [...builtinFuncs(), ...sprigFuncs(), ...esoFuncs()];
  return cached;
}
