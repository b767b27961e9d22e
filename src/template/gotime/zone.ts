/**
 * time.LoadLocation for IANA zone names, backed by the ICU time-zone data
 * built into Node (Intl) rather than /usr/share/zoneinfo, so the engine stays
 * free of file reads. Offsets are exact. Abbreviations (what layout "MST"
 * prints) come from ICU where it has the same ones as the tz database (US,
 * European, a few Asian/Australian zones); elsewhere the tz database itself
 * uses numeric abbreviations ("+04"), and so does this.
 */
import { fixedZone, LOCAL, UTC, type Location, type ZoneInfo } from './time.ts';

const cache = new Map<string, Location | null>();

interface Formatters {
  parts: Intl.DateTimeFormat;
  names: [Intl.DateTimeFormat, RegExp][];
}

// Which ICU locale knows a zone's tz-database abbreviation.
function namesFor(zone: string): [string, RegExp][] {
  const list: [string, RegExp][] = [['en-US', /^(?:[ECMPAH][SD]T|AK[SD]T|HST|UTC|GMT)$/]];
  if (zone.startsWith('Europe/') || zone === 'WET' || zone === 'CET' || zone === 'EET' || zone === 'MET') list.push(['en-GB', /^[A-Z]{3,5}$/]);
  if (zone.startsWith('Australia/')) list.push(['en-AU', /^[A-Z]{3,5}$/]);
  if (zone === 'Asia/Kolkata' || zone === 'Asia/Calcutta') list.push(['en-IN', /^IST$/]);
  if (zone === 'Asia/Tokyo' || zone === 'Japan') list.push(['ja-JP', /^JST$/]);
  return list;
}

function numericAbbrev(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const m = Math.floor(Math.abs(offset) / 60);
  const hh = String(Math.floor(m / 60)).padStart(2, '0');
  return m % 60 === 0 ? sign + hh : sign + hh + String(m % 60).padStart(2, '0');
}

function intlZone(name: string): Location | null {
  let f: Formatters;
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    // Go reads zone files by exact name: "europe/berlin" is no zone on Linux, although ICU accepts it.
    const resolved = parts.resolvedOptions().timeZone;
    if (resolved !== name && resolved.toLowerCase() === name.toLowerCase()) return null;
    f = { parts, names: namesFor(resolved).map(([locale, re]) => [new Intl.DateTimeFormat(locale, { timeZone: name, timeZoneName: 'short' }), re]) };
  } catch {
    return null;
  }
  const lookup = (unixSec: number): ZoneInfo => {
    // Intl covers ±8.64e15 ms; outside that, the nearest edge's zone applies.
    const d = new Date(Math.max(-8.64e15, Math.min(8.64e15, unixSec * 1000)));
    const p: Record<string, string> = {};
    for (const x of f.parts.formatToParts(d)) p[x.type] = x.value;
    let year = Number(p.year);
    if (p.era === 'BC' || p.era === 'B') year = 1 - year;
    const asUTC = Date.UTC(2000, Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
    // Date.UTC maps years 0–99 to 19xx; fix the year separately.
    const withYear = new Date(asUTC);
    withYear.setUTCFullYear(year);
    const offset = Math.round((withYear.getTime() - d.getTime()) / 1000);
    let abbr = '';
    for (const [fmt, re] of f.names) {
      const n = fmt.formatToParts(d).find((x) => x.type === 'timeZoneName')?.value ?? '';
      if (re.test(n)) {
        abbr = n;
        break;
      }
    }
    return { name: abbr || numericAbbrev(offset), offset };
  };
  return { name, lookup };
}

/** time.LoadLocation; undefined where Go returns an error. */
export function loadLocation(name: string): Location | undefined {
  if (name === '' || name === 'UTC') return UTC;
  if (name === 'Local') return LOCAL;
  // Go refuses names that could escape the zoneinfo directory.
  if (name.includes('..') || name.startsWith('/') || name.includes('\\') || name.includes('\0')) return undefined;
  if (!/^[A-Za-z0-9_+\-/]+$/.test(name)) return undefined;
  let loc = cache.get(name);
  if (loc === undefined) {
    loc = intlZone(name);
    if (cache.size < 1000) cache.set(name, loc);
  }
  return loc ?? undefined;
}

export { fixedZone };
