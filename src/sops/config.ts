/**
 * `.sops.yaml`: found in the working directory or a parent (or named with
 * --config / SOPS_CONFIG); the first `creation_rules` entry whose
 * `path_regex` (Go syntax, unanchored) matches the file's path relative to the
 * config file's directory gives the keys, key groups, Shamir threshold and
 * encryption rule for new files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import YAML from 'yaml';
import { InvalidConfigError } from '../util/errors.ts';
import type { EncryptSettings } from './codec.ts';
import { compileGoRegexp } from './goregexp.ts';
import { parseAgeRecipient } from './keys/age.ts';
import { parseKmsArn } from './keys/awskms.ts';
import { azureKeyFromFields, parseAzureKeyUrl } from './keys/azurekv.ts';
import { parseGcpKmsResourceId } from './keys/gcpkms.ts';
import { parseVaultUri } from './keys/vault.ts';
import type { KeyGroup, MasterKey } from './metadata.ts';
import { ruleFrom } from './rules.ts';

export interface SopsConfig {
  path: string;
  creationRules: Record<string, unknown>[];
}

/** Looks for `.sops.yaml` in `dir` and its parents. */
export function findConfig(dir: string): string | undefined {
  let cur = resolve(dir);
  for (;;) {
    const candidate = join(cur, '.sops.yaml');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(cur);
    if (parent === cur) return undefined;
    cur = parent;
  }
}

export function loadConfig(path: string): SopsConfig {
  let doc: unknown;
  try {
    doc = YAML.parse(readFileSync(path, 'utf8'), { uniqueKeys: true });
  } catch (err) {
    throw new InvalidConfigError(`${path}: cannot read the config: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new InvalidConfigError(`${path}: the config must be a map`);
  const rules = (doc as Record<string, unknown>).creation_rules ?? [];
  if (!Array.isArray(rules) || rules.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))) {
    throw new InvalidConfigError(`${path}: creation_rules must be a list of maps`);
  }
  return { path: resolve(path), creationRules: rules as Record<string, unknown>[] };
}

function str(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

function strings(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return (v).map((s) => s.trim()).filter(Boolean);
  throw new InvalidConfigError(`${where} must be a comma-separated string or a list of strings`);
}

/** A comma-separated string, or a list of strings and maps. */
function listOf(v: unknown, where: string): Array<string | Record<string, unknown>> {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return strings(v, where);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || (typeof x === 'object' && x !== null && !Array.isArray(x)))) {
    return (v as Array<string | Record<string, unknown>>).flatMap((x): Array<string | Record<string, unknown>> => (typeof x === 'string' ? strings(x, where) : [x]));
  }
  throw new InvalidConfigError(`${where} must be a comma-separated string or a list`);
}

/** Master key templates named by a rule or a key group. */
export function keysFrom(rec: Record<string, unknown>, where: string): MasterKey[] {
  const keys: MasterKey[] = [];
  const kms = rec.kms;
  if (Array.isArray(kms) && kms.some((k) => typeof k === 'object')) {
    for (const k of kms as Record<string, unknown>[]) {
      const spec = parseKmsArn(str(k.arn), (k.context ?? {}) as Record<string, string>, str(k.aws_profile));
      keys.push({ type: 'kms', ...spec, role: str(k.role) || spec.role, createdAt: '', enc: '' });
    }
  } else {
    const ctx = (rec.kms_encryption_context ?? rec.encryption_context ?? {}) as Record<string, string>;
    for (const a of strings(kms, `${where}.kms`)) keys.push({ type: 'kms', ...parseKmsArn(a, ctx, str(rec.aws_profile)), createdAt: '', enc: '' });
  }
  for (const u of strings(rec.hc_vault_transit_uri ?? rec.hc_vault, `${where}.hc_vault_transit_uri`)) keys.push({ type: 'hc_vault', ...parseVaultUri(u), createdAt: '', enc: '' });
  for (const r of strings(rec.age, `${where}.age`)) keys.push({ type: 'age', recipient: parseAgeRecipient(r), enc: '' });
  // Rules list resource ids / key URLs; key groups list maps ({resource_id}, {vaultUrl, key, version}).
  for (const [i, k] of listOf(rec.gcp_kms, `${where}.gcp_kms`).entries()) {
    const id = typeof k === 'string' ? k : str(k.resource_id);
    if (id === '') throw new InvalidConfigError(`${where}.gcp_kms[${i}] has no resource_id`);
    keys.push({ type: 'gcp_kms', resourceId: parseGcpKmsResourceId(id), createdAt: '', enc: '' });
  }
  for (const [i, k] of listOf(rec.azure_keyvault, `${where}.azure_keyvault`).entries()) {
    if (typeof k !== 'string' && (str(k.vaultUrl) === '' || str(k.key) === '')) throw new InvalidConfigError(`${where}.azure_keyvault[${i}] needs vaultUrl and key`);
    const spec = typeof k === 'string' ? parseAzureKeyUrl(k) : azureKeyFromFields(str(k.vaultUrl), str(k.key), str(k.version));
    keys.push({ type: 'azure_kv', ...spec, createdAt: '', enc: '' });
  }
  for (const name of ['pgp', 'hckms']) {
    const v = rec[name];
    if ((typeof v === 'string' && v.trim() !== '') || (Array.isArray(v) && v.length > 0)) {
      throw new InvalidConfigError(`${where}.${name}: this key type is not supported by Hush yet (supported: age, hc_vault_transit_uri, kms, gcp_kms, azure_keyvault)`);
    }
  }
  return keys;
}

function groupFrom(g: Record<string, unknown>, where: string): KeyGroup {
  const keys = keysFrom(g, where);
  const merge = g.merge;
  if (Array.isArray(merge)) for (const [i, m] of merge.entries()) keys.push(...groupFrom(m as Record<string, unknown>, `${where}.merge[${i}]`));
  return keys;
}

/** Turns a creation rule into encryption settings. */
export function settingsFromRule(rule: Record<string, unknown>, where: string): EncryptSettings {
  const groups = Array.isArray(rule.key_groups)
    ? (rule.key_groups as Record<string, unknown>[]).map((g, i) => groupFrom(g, `${where}.key_groups[${i}]`))
    : [keysFrom(rule, where)];
  const threshold = rule.shamir_threshold === undefined ? 0 : Number(rule.shamir_threshold);
  if (!Number.isInteger(threshold) || threshold < 0) throw new InvalidConfigError(`${where}.shamir_threshold must be a whole number`);
  return {
    keyGroups: groups,
    shamirThreshold: threshold,
    rule: ruleFrom(rule, where),
    macOnlyEncrypted: rule.mac_only_encrypted === true,
  };
}

/** The first creation rule that matches `filePath`; errors when none does. */
export function matchCreationRule(config: SopsConfig, filePath: string): { rule: Record<string, unknown>; where: string } {
  const base = dirname(config.path);
  let rel = relative(base, resolve(filePath));
  if (sep !== '/') rel = rel.split(sep).join('/');
  for (const [i, rule] of config.creationRules.entries()) {
    const where = `${config.path}: creation_rules[${i}]`;
    const re = rule.path_regex;
    if (re === undefined || re === null || re === '') return { rule, where };
    if (typeof re !== 'string') throw new InvalidConfigError(`${where}.path_regex must be a string`);
    if (compileGoRegexp(re, `${where}.path_regex`).matchString(rel)) return { rule, where };
  }
  throw new InvalidConfigError(`${config.path}: no creation rule matches ${rel} (add a rule whose path_regex matches it, or pass keys on the command line)`);
}
