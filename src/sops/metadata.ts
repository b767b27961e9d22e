/**
 * The `sops` metadata block: key groups with one wrapped data key per master
 * key, the Shamir threshold, the encryption rule, `lastmodified`, the MAC and
 * the version. Reads the layouts every sops version writes (struct order with
 * empty lists before 3.10, alphabetical from 3.13, one group at top level or
 * several under `key_groups`) and writes the 3.13 layout: every level sorted
 * by key, empty fields left out.
 */
import { InvalidDataError } from '../util/errors.ts';
import type { EncryptionRule } from './rules.ts';
import { DEFAULT_RULE, ruleFrom } from './rules.ts';
import type { MapNode, Value } from './tree.ts';
import { entry, getEntry, int, isComment, isMap, mapNode } from './tree.ts';

/** The version Hush writes into `sops.version`: the sops release whose format it follows. */
export const SOPS_FORMAT_VERSION = '3.13.2';

export type KeyType = 'age' | 'hc_vault' | 'kms' | 'gcp_kms' | 'azure_kv' | 'pgp' | 'hckms';

export interface AgeKey {
  type: 'age';
  recipient: string;
  enc: string;
}
export interface VaultKey {
  type: 'hc_vault';
  vaultAddress: string;
  enginePath: string;
  keyName: string;
  createdAt: string;
  enc: string;
}
export interface KmsKey {
  type: 'kms';
  arn: string;
  role: string;
  context: Record<string, string>;
  awsProfile: string;
  createdAt: string;
  enc: string;
}
export interface GcpKmsKey {
  type: 'gcp_kms';
  resourceId: string;
  createdAt: string;
  enc: string;
}
export interface AzureKey {
  type: 'azure_kv';
  vaultUrl: string;
  name: string;
  version: string;
  createdAt: string;
  enc: string;
}
export interface PgpKey {
  type: 'pgp';
  fp: string;
  createdAt: string;
  enc: string;
}
export interface HckmsKey {
  type: 'hckms';
  keyId: string;
  createdAt: string;
  enc: string;
}
export type MasterKey = AgeKey | VaultKey | KmsKey | GcpKmsKey | AzureKey | PgpKey | HckmsKey;
export type KeyGroup = MasterKey[];

export interface Metadata {
  keyGroups: KeyGroup[];
  /** 0 = not set (sops then uses the number of groups). */
  shamirThreshold: number;
  /** RFC 3339, whole seconds, UTC `Z`. */
  lastModified: string;
  /** The encrypted MAC (`ENC[...]`). */
  mac: string;
  rule: EncryptionRule;
  macOnlyEncrypted: boolean;
  version: string;
}

/** A short, value-free description of a master key, for messages. */
export function describeKey(k: MasterKey): string {
  switch (k.type) {
    case 'age':
      return `age recipient ${k.recipient.length > 70 ? k.recipient.slice(0, 20) + '…' + k.recipient.slice(-8) : k.recipient}`;
    case 'hc_vault':
      return `Vault transit key ${k.vaultAddress}/v1/${k.enginePath}/keys/${k.keyName}`;
    case 'kms':
      return `AWS KMS key ${k.arn}`;
    case 'gcp_kms':
      return `GCP KMS key ${k.resourceId}`;
    case 'azure_kv':
      return `Azure Key Vault key ${k.vaultUrl}/keys/${k.name}/${k.version}`;
    case 'pgp':
      return `PGP key ${k.fp}`;
    case 'hckms':
      return `HuaweiCloud KMS key ${k.keyId}`;
  }
}

// --- Go time formatting ---------------------------------------------------

/** `time.Now().UTC().Format(time.RFC3339)`. */
export function nowRfc3339(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * What Go gets from `time.Parse(RFC3339, s).Format(RFC3339)`: fractions
 * dropped, a zero offset written `Z`. sops uses that string, not the stored
 * one, as the MAC's additional data.
 */
export function normalizeRfc3339(s: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[-+]\d{2}:\d{2})$/.exec(s);
  if (!m) throw new InvalidDataError(`sops.lastmodified ${JSON.stringify(s.slice(0, 40))} is not an RFC 3339 time`);
  const zone = m[3]!.toUpperCase() === 'Z' || m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3]!;
  return m[1]!.replace('t', 'T') + zone;
}

// --- reading ----------------------------------------------------------------

type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

/** Turns a metadata subtree into plain JS values (comments dropped), like sops' sopsToGo. */
function toPlain(v: Value): Plain {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.filter((x) => !isComment(x)).map(toPlain);
  switch (v.kind) {
    case 'map': {
      const out: { [k: string]: Plain } = {};
      for (const item of v.items) if (item.kind === 'entry') out[item.key] = toPlain(item.value);
      return out;
    }
    case 'int':
      return Number(v.text);
    case 'float':
      return v.value;
    case 'time':
      return v.text;
    case 'bytes':
      return v.data.toString('utf8');
    case 'comment':
      return null;
  }
}

type PlainRecord = { [k: string]: Plain };

function str(rec: PlainRecord, key: string, where: string): string {
  const v = rec[key];
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v); // mapstructure's weak typing
  throw new InvalidDataError(`${where}.${key} must be a string`);
}

function list(rec: PlainRecord, key: string, where: string): PlainRecord[] {
  const v = rec[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InvalidDataError(`${where}.${key} must be a list`);
  return v.map((x, i) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new InvalidDataError(`${where}.${key}[${i}] must be a map`);
    return x;
  });
}

function createdAt(rec: PlainRecord, where: string): string {
  const s = str(rec, 'created_at', where);
  normalizeRfc3339(s); // sops refuses a key whose created_at does not parse
  return s;
}

function groupFrom(rec: PlainRecord, where: string): KeyGroup {
  // sops' internal order: kms, gcp_kms, hckms, azure_kv, hc_vault, pgp, age.
  const g: KeyGroup = [];
  for (const k of list(rec, 'kms', where)) {
    const ctx = k.context;
    const context: Record<string, string> = {};
    if (ctx && typeof ctx === 'object' && !Array.isArray(ctx)) {
      for (const [ck, cv] of Object.entries(ctx)) if (typeof cv === 'string' || typeof cv === 'number') context[ck] = String(cv);
    }
    g.push({ type: 'kms', arn: str(k, 'arn', where), role: str(k, 'role', where), context, awsProfile: str(k, 'aws_profile', where), createdAt: createdAt(k, where), enc: str(k, 'enc', where) });
  }
  for (const k of list(rec, 'gcp_kms', where)) g.push({ type: 'gcp_kms', resourceId: str(k, 'resource_id', where), createdAt: createdAt(k, where), enc: str(k, 'enc', where) });
  for (const k of list(rec, 'hckms', where)) g.push({ type: 'hckms', keyId: str(k, 'key_id', where), createdAt: createdAt(k, where), enc: str(k, 'enc', where) });
  for (const k of list(rec, 'azure_kv', where)) {
    g.push({ type: 'azure_kv', vaultUrl: str(k, 'vault_url', where), name: str(k, 'name', where), version: str(k, 'version', where), createdAt: createdAt(k, where), enc: str(k, 'enc', where) });
  }
  for (const k of list(rec, 'hc_vault', where)) {
    g.push({ type: 'hc_vault', vaultAddress: str(k, 'vault_address', where), enginePath: str(k, 'engine_path', where), keyName: str(k, 'key_name', where), createdAt: createdAt(k, where), enc: str(k, 'enc', where) });
  }
  for (const k of list(rec, 'pgp', where)) g.push({ type: 'pgp', fp: str(k, 'fp', where), createdAt: createdAt(k, where), enc: str(k, 'enc', where) });
  for (const k of list(rec, 'age', where)) g.push({ type: 'age', recipient: str(k, 'recipient', where), enc: str(k, 'enc', where) });
  return g;
}

const KEY_LIST_NAMES = ['kms', 'gcp_kms', 'hckms', 'azure_kv', 'hc_vault', 'pgp', 'age'];

/** Reads the metadata map (the value of the `sops` key, already unflattened). */
export function metadataFromTree(node: Value): Metadata {
  if (!isMap(node)) throw new InvalidDataError('the sops metadata entry is not a map');
  const rec = toPlain(node) as PlainRecord;
  const lastModified = str(rec, 'lastmodified', 'sops');
  normalizeRfc3339(lastModified);
  const hasTopLevelKeys = KEY_LIST_NAMES.some((k) => list(rec, k, 'sops').length > 0);
  let keyGroups: KeyGroup[];
  if (hasTopLevelKeys) keyGroups = [groupFrom(rec, 'sops')];
  else keyGroups = list(rec, 'key_groups', 'sops').map((g, i) => groupFrom(g, `sops.key_groups[${i}]`));
  if (keyGroups.length === 0) throw new InvalidDataError('no keys found in the sops metadata');
  const threshold = rec.shamir_threshold;
  let shamirThreshold = 0;
  if (threshold !== undefined && threshold !== null) {
    shamirThreshold = Number(threshold);
    if (!Number.isInteger(shamirThreshold) || shamirThreshold < 0) throw new InvalidDataError('sops.shamir_threshold must be a non-negative integer');
  }
  const mo = rec.mac_only_encrypted;
  return {
    keyGroups,
    shamirThreshold,
    lastModified,
    mac: str(rec, 'mac', 'sops'),
    rule: ruleFrom(rec, 'sops metadata') ?? DEFAULT_RULE,
    macOnlyEncrypted: mo === true || mo === 'true' || mo === 'True' || mo === '1',
    version: str(rec, 'version', 'sops'),
  };
}

// --- writing ----------------------------------------------------------------

function keyFields(k: MasterKey): Record<string, Value> {
  switch (k.type) {
    case 'age':
      return { recipient: k.recipient, enc: k.enc };
    case 'hc_vault':
      return { vault_address: k.vaultAddress, engine_path: k.enginePath, key_name: k.keyName, created_at: k.createdAt, enc: k.enc };
    case 'kms': {
      const f: Record<string, Value> = { arn: k.arn, created_at: k.createdAt, enc: k.enc, aws_profile: k.awsProfile };
      if (k.role) f.role = k.role;
      const ctx = Object.keys(k.context).sort();
      if (ctx.length > 0) f.context = mapNode(ctx.map((c) => entry(c, k.context[c]!)));
      return f;
    }
    case 'gcp_kms':
      return { resource_id: k.resourceId, created_at: k.createdAt, enc: k.enc };
    case 'azure_kv':
      return { vault_url: k.vaultUrl, name: k.name, version: k.version, created_at: k.createdAt, enc: k.enc };
    case 'pgp':
      return { created_at: k.createdAt, enc: k.enc, fp: k.fp };
    case 'hckms':
      return { key_id: k.keyId, created_at: k.createdAt, enc: k.enc };
  }
}

function sortedMap(fields: Record<string, Value>): MapNode {
  return mapNode(Object.keys(fields).sort().map((k) => entry(k, fields[k]!)));
}

function groupFields(group: KeyGroup, inKeyGroups: boolean): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const name of KEY_LIST_NAMES) {
    const keys = group.filter((k) => k.type === name);
    // Inside key_groups sops always writes `age` and `hc_vault`, even empty.
    if (keys.length > 0 || (inKeyGroups && (name === 'age' || name === 'hc_vault'))) {
      out[name] = keys.map((k) => sortedMap(keyFields(k)));
    }
  }
  return out;
}

/** Builds the metadata map as sops 3.13 writes it (alphabetical at every level). */
export function metadataToTree(md: Metadata): MapNode {
  const fields: Record<string, Value> = {};
  if (md.keyGroups.length === 1) Object.assign(fields, groupFields(md.keyGroups[0]!, false));
  else fields.key_groups = md.keyGroups.map((g) => sortedMap(groupFields(g, true)));
  if (md.shamirThreshold > 0) fields.shamir_threshold = int(md.shamirThreshold);
  fields.lastmodified = md.lastModified;
  fields.mac = md.mac;
  fields[md.rule.key] = md.rule.value;
  if (md.macOnlyEncrypted) fields.mac_only_encrypted = true;
  fields.version = md.version;
  return sortedMap(fields);
}

// --- flattened form (dotenv, INI) ---------------------------------------------

/** `age__list_0__map_enc` style keys, as sops' flattenTreeBranch writes them. */
export function flattenMetadata(tree: MapNode, prefix: string): Array<[string, Value]> {
  const out: Array<[string, Value]> = [];
  const descend = (v: Value, key: string): void => {
    if (isMap(v)) {
      for (const item of v.items) if (item.kind === 'entry') descend(item.value, `${key}__map_${item.key}`);
    } else if (Array.isArray(v)) {
      let i = 0;
      for (const x of v) if (!isComment(x)) descend(x, `${key}__list_${i++}`);
    } else out.push([key, v]);
  };
  for (const item of tree.items) if (item.kind === 'entry') descend(item.value, prefix + item.key);
  return out;
}

type Token = { map: string } | { list: number };

function tokenize(key: string): Token[] {
  const parts = key.split(/(__map_|__list_)/);
  const tokens: Token[] = [{ map: parts[0]! }];
  for (let i = 1; i < parts.length; i += 2) {
    const body = parts[i + 1]!;
    if (parts[i] === '__map_') tokens.push({ map: body });
    else {
      if (!/^\d+$/.test(body)) throw new InvalidDataError(`bad list index in flattened metadata key ${JSON.stringify(key)}`);
      tokens.push({ list: Number(body) });
    }
  }
  return tokens;
}

interface Slot {
  value?: Value;
  set?: boolean;
  keys?: Map<string, Slot>;
  indices?: Map<number, Slot>;
}

/** Rebuilds the metadata map from flattened entries (keys without the prefix). */
export function unflattenMetadata(entries: Array<[string, Value]>): MapNode {
  const root: Slot = {};
  for (const [key, value] of entries) {
    let slot = root;
    for (const t of tokenize(key)) {
      if ('map' in t) {
        slot.keys ??= new Map();
        let next = slot.keys.get(t.map);
        if (!next) slot.keys.set(t.map, (next = {}));
        slot = next;
      } else {
        slot.indices ??= new Map();
        let next = slot.indices.get(t.list);
        if (!next) slot.indices.set(t.list, (next = {}));
        slot = next;
      }
    }
    if (slot.set) throw new InvalidDataError(`duplicate flattened metadata key ${JSON.stringify(key)}`);
    slot.set = true;
    slot.value = value;
  }
  const convert = (s: Slot): Value => {
    const kinds = Number(!!s.set) + Number(!!s.keys?.size) + Number(!!s.indices?.size);
    if (kinds > 1) throw new InvalidDataError('flattened sops metadata mixes values, maps and lists at one key');
    if (s.set) return s.value ?? null;
    if (s.keys?.size) return mapNode([...s.keys.keys()].sort().map((k) => entry(k, convert(s.keys!.get(k)!))));
    if (s.indices?.size) {
      const n = s.indices.size;
      const out: Value[] = [];
      for (let i = 0; i < n; i++) {
        const x = s.indices.get(i);
        if (!x) throw new InvalidDataError('flattened sops metadata has an incomplete list');
        out.push(convert(x));
      }
      return out;
    }
    return mapNode();
  };
  const tree = convert(root);
  return isMap(tree) ? tree : mapNode();
}

/** True when a map has the top-level `sops` key. */
export function hasMetadata(doc: MapNode): boolean {
  return getEntry(doc, 'sops') !== undefined;
}
