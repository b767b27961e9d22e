/**
 * One entry point per file format: parse and write plain files, and split or
 * join the `sops` metadata the way each format stores it (a `sops` map in
 * YAML/JSON/binary, `sops_`-prefixed flat keys in dotenv, a flat `[sops]`
 * section in INI with newlines escaped).
 */
import { InvalidDataError, InvalidSpecError } from '../../util/errors.ts';
import type { Metadata } from '../metadata.ts';
import { flattenMetadata, metadataFromTree, metadataToTree, unflattenMetadata } from '../metadata.ts';
import type { MapNode, Value } from '../tree.ts';
import { entry, getEntry, isMap, mapNode } from '../tree.ts';
import { parseDotenv, stringifyDotenv } from './dotenv.ts';
import { parseIni, stringifyIni } from './ini.ts';
import { parseJson, stringifyJson, stringifyJsonValue } from './json.ts';
import { parseYaml, stringifyYaml, stringifyYamlValue } from './yaml.ts';

export const FORMATS = ['yaml', 'json', 'dotenv', 'ini', 'binary'] as const;
export type Format = (typeof FORMATS)[number];

export function isFormat(s: string): s is Format {
  return (FORMATS as readonly string[]).includes(s);
}

/** The format sops infers from a file name. */
export function formatForPath(path: string): Format {
  const lower = path.toLowerCase();
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.env')) return 'dotenv';
  if (lower.endsWith('.ini')) return 'ini';
  return 'binary';
}

export function parsePlain(format: Format, data: Buffer): MapNode[] {
  switch (format) {
    case 'yaml': {
      const docs = parseYaml(data.toString('utf8'));
      if (docs.length === 0) throw new InvalidDataError('the file cannot be completely empty; it must contain at least one document');
      return docs;
    }
    case 'json':
      return [parseJson(data.toString('utf8'))];
    case 'dotenv':
      return [parseDotenv(data.toString('utf8'))];
    case 'ini':
      return [parseIni(data.toString('utf8'))];
    case 'binary': {
      const text = data.toString('utf8');
      const value: Value = Buffer.from(text, 'utf8').equals(data) ? text : { kind: 'bytes', data: Buffer.from(data) };
      return [mapNode([entry('data', value)])];
    }
  }
}

export function stringifyPlain(format: Format, docs: readonly MapNode[]): Buffer {
  switch (format) {
    case 'yaml':
      return Buffer.from(stringifyYaml(docs), 'utf8');
    case 'json':
      return Buffer.from(stringifyJson(docs[0] ?? mapNode()), 'utf8');
    case 'dotenv':
      return Buffer.from(stringifyDotenv(docs[0] ?? mapNode()), 'utf8');
    case 'ini':
      return Buffer.from(stringifyIni(docs[0] ?? mapNode()), 'utf8');
    case 'binary': {
      const data = docs.length === 1 ? getEntry(docs[0]!, 'data')?.value : undefined;
      if (typeof data === 'string') return Buffer.from(data, 'utf8');
      if (data !== null && typeof data === 'object' && !Array.isArray(data) && data.kind === 'bytes') return data.data;
      throw new InvalidDataError('a binary file must decrypt to a single "data" string');
    }
  }
}

/** Writes one extracted value (`decrypt --extract`). */
export function stringifyValue(format: Format, v: Value): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (format === 'json' || format === 'binary') return Buffer.from(stringifyJsonValue(v), 'utf8');
  if (format === 'dotenv') throw new InvalidSpecError('the dotenv format can only print string values');
  return Buffer.from(stringifyYamlValue(v), 'utf8');
}

export interface EncryptedFile {
  docs: MapNode[];
  metadata: Metadata;
}

const SOPS_PREFIX = 'sops_';

/** True when a parsed plain file already carries sops metadata. */
export function hasSopsMetadata(format: Format, docs: readonly MapNode[]): boolean {
  const first = docs[0];
  if (!first) return false;
  if (format === 'dotenv') return first.items.some((i) => i.kind === 'entry' && i.key.startsWith(SOPS_PREFIX));
  return getEntry(first, 'sops') !== undefined;
}

/** Parses an encrypted file and separates the data from the metadata. */
export function parseEncrypted(format: Format, data: Buffer): EncryptedFile {
  const effective = format === 'binary' ? 'json' : format;
  let docs = parsePlainForEncrypted(effective, data);
  let metaTree: Value | undefined;
  if (effective === 'dotenv') {
    const first = docs[0]!;
    const flat: Array<[string, Value]> = [];
    const rest = first.items.filter((i) => {
      if (i.kind === 'entry' && i.key.startsWith(SOPS_PREFIX)) {
        flat.push([i.key.slice(SOPS_PREFIX.length), i.value]);
        return false;
      }
      return true;
    });
    if (flat.length > 0) metaTree = unflattenMetadata(flat);
    docs = [mapNode(rest), ...docs.slice(1)];
  } else {
    docs = docs.map((doc, i) => {
      const found = doc.items.filter((it) => it.kind === 'entry' && it.key === 'sops');
      if (i === 0 && found.length > 1) throw new InvalidDataError('found duplicate sops entry');
      if (i === 0 && found[0]?.kind === 'entry') metaTree = found[0].value;
      return mapNode(doc.items.filter((it) => !(it.kind === 'entry' && it.key === 'sops')));
    });
    if (effective === 'ini' && metaTree !== undefined) {
      if (!isMap(metaTree)) throw new InvalidDataError('the [sops] section is not a map');
      const flat: Array<[string, Value]> = [];
      for (const it of metaTree.items) {
        if (it.kind !== 'entry') continue;
        // 3.13.0/3.13.1 wrote `\n`; 3.13.2 writes `\\n`. Read both.
        const v = typeof it.value === 'string' ? it.value.replaceAll('\\\\n', '\n').replaceAll('\\n', '\n') : it.value;
        flat.push([it.key, v]);
      }
      metaTree = unflattenMetadata(flat);
    }
    // The INI reader always yields a DEFAULT section; drop it when empty, as on write.
  }
  if (metaTree === undefined) throw new InvalidDataError('sops metadata not found: the file is not encrypted with sops');
  if (!isMap(metaTree)) throw new InvalidDataError('found a sops entry that is not a map');
  return { docs, metadata: metadataFromTree(metaTree) };
}

function parsePlainForEncrypted(format: Format, data: Buffer): MapNode[] {
  if (format === 'yaml') {
    const docs = parseYaml(data.toString('utf8'));
    if (docs.length === 0) throw new InvalidDataError('the file is empty');
    return docs;
  }
  return parsePlain(format, data);
}

/** Joins data and metadata and writes the encrypted file. */
export function stringifyEncrypted(format: Format, file: EncryptedFile): Buffer {
  const meta = metadataToTree(file.metadata);
  const effective = format === 'binary' ? 'json' : format;
  const reserved = effective === 'dotenv' ? (k: string) => k.startsWith(SOPS_PREFIX) : (k: string) => k === 'sops';
  for (const doc of file.docs) {
    for (const it of doc.items) {
      if (it.kind === 'entry' && reserved(it.key)) {
        throw new InvalidDataError(`the data has a key ${JSON.stringify(it.key)}, which is reserved for sops metadata`);
      }
    }
  }
  if (effective === 'dotenv') {
    const flat = flattenMetadata(meta, SOPS_PREFIX).map(([k, v]) => entry(k, v));
    return stringifyPlain('dotenv', [mapNode([...(file.docs[0]?.items ?? []), ...flat])]);
  }
  if (effective === 'ini') {
    const flat = flattenMetadata(meta, '').map(([k, v]) => entry(k, typeof v === 'string' ? v.replaceAll('\n', '\\n') : v));
    return stringifyPlain('ini', [mapNode([...(file.docs[0]?.items ?? []), entry('sops', mapNode(flat))])]);
  }
  const docs = file.docs.map((d) => mapNode([...d.items, entry('sops', meta)]));
  return stringifyPlain(effective, effective === 'json' ? docs.slice(0, 1) : docs);
}
