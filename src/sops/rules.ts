/**
 * Which values sops encrypts. A file uses at most one of six rules; with none,
 * `unencrypted_suffix: _unencrypted` applies (and is written to the metadata).
 * The logic follows sops' shouldBeEncrypted: suffix and regex rules test every
 * map-key component of the path; comment rules test the comment stack.
 */
import { InvalidConfigError } from '../util/errors.ts';
import { compileGoRegexp } from './goregexp.ts';

export const RULE_KEYS = [
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
  'unencrypted_comment_regex',
  'encrypted_comment_regex',
] as const;
export type RuleKey = (typeof RULE_KEYS)[number];

export interface EncryptionRule {
  key: RuleKey;
  value: string;
}

export const DEFAULT_UNENCRYPTED_SUFFIX = '_unencrypted';
export const DEFAULT_RULE: EncryptionRule = { key: 'unencrypted_suffix', value: DEFAULT_UNENCRYPTED_SUFFIX };

/** Picks the single rule out of a record (metadata or `.sops.yaml` rule); errors on more than one. */
export function ruleFrom(record: Partial<Record<string, unknown>>, where: string): EncryptionRule | undefined {
  const found: EncryptionRule[] = [];
  for (const key of RULE_KEYS) {
    const v = record[key];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw new InvalidConfigError(`${where}: ${key} must be a string`);
    found.push({ key, value: v });
  }
  if (found.length > 1) {
    throw new InvalidConfigError(
      `${where}: cannot use more than one of ${RULE_KEYS.join(', ')} (found ${found.map((r) => r.key).join(' and ')})`,
    );
  }
  return found[0];
}

export type EncryptionPredicate = (path: readonly string[], commentStack: readonly (readonly string[])[], isComment: boolean) => boolean;

export function compileRule(rule: EncryptionRule): EncryptionPredicate {
  const { key, value } = rule;
  switch (key) {
    case 'unencrypted_suffix':
      return (path) => !path.some((p) => p.endsWith(value));
    case 'encrypted_suffix':
      return (path) => path.some((p) => p.endsWith(value));
    case 'unencrypted_regex': {
      const re = compileGoRegexp(value, key);
      return (path) => !path.some((p) => re.matchString(p));
    }
    case 'encrypted_regex': {
      const re = compileGoRegexp(value, key);
      return (path) => path.some((p) => re.matchString(p));
    }
    case 'unencrypted_comment_regex': {
      const re = compileGoRegexp(value, key);
      return (_path, stack) => !stack.some((frame) => frame.some((c) => re.matchString(c)));
    }
    case 'encrypted_comment_regex': {
      const re = compileGoRegexp(value, key);
      return (_path, stack, isComment) => {
        // The comment line that carries the marker stays readable itself: skip
        // the newest comment of the innermost frame when judging a comment.
        const last = stack.length - 1;
        return stack.some((frame, i) =>
          frame.some((c, j) => !(isComment && i === last && j === frame.length - 1) && re.matchString(c)),
        );
      };
    }
  }
}
