/**
 * `hush sops encrypt|decrypt|edit|set|unset|rotate|updatekeys|filestatus`:
 * the sops command line on Hush's codec. Flags and exit codes follow sops so
 * scripts written for it keep working. Plaintext goes only to stdout (when
 * asked for), the output file, or the editor's private temporary file, which
 * is removed afterwards; errors name the file, the path inside it and why,
 * and leave the file on disk untouched (writes go through a temporary file
 * renamed into place).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { HushError, InvalidConfigError, InvalidDataError, InvalidSpecError, isHushError } from '../util/errors.ts';
import type { EncryptSettings, OpenedFile } from '../sops/codec.ts';
import { encryptDocs, openFile, recoverDataKey, resealFile, rotateFile, updateKeys } from '../sops/codec.ts';
import { findConfig, keysFrom, loadConfig, matchCreationRule, settingsFromRule } from '../sops/config.ts';
import { AlreadyEncryptedError, DataKeyError, MacMismatchError, MacNotFoundError } from '../sops/errors.ts';
import { defaultKeyContext, sameKey } from '../sops/keys/index.ts';
import type { KeyContext } from '../sops/keys/index.ts';
import type { KeyGroup, MasterKey } from '../sops/metadata.ts';
import { describeKey } from '../sops/metadata.ts';
import type { EncryptionRule } from '../sops/rules.ts';
import { RULE_KEYS } from '../sops/rules.ts';
import type { Format } from '../sops/stores/index.ts';
import { formatForPath, hasSopsMetadata, isFormat, parseEncrypted, parsePlain, stringifyEncrypted, stringifyPlain, stringifyValue } from '../sops/stores/index.ts';
import { parseJson } from '../sops/stores/json.ts';
import { getEntry } from '../sops/tree.ts';
import type { Value } from '../sops/tree.ts';
import { getPath, parseTreePath, setPath, unsetPath } from '../sops/treepath.ts';

/** sops' exit codes (cmd/sops/codes), so scripts can tell failures apart. */
export const EXIT = {
  generic: 1,
  cannotReadInput: 2,
  cannotWriteOutput: 3,
  configError: 5,
  invalidSetFormat: 7,
  conflictingParameters: 8,
  decryptingTree: 25,
  macMismatch: 51,
  macNotFound: 52,
  configNotFound: 61,
  invalidTreePath: 91,
  noFileSpecified: 100,
  noEncryptionKey: 111,
  couldNotRetrieveKey: 128,
  fileNotModified: 200,
  noEditor: 201,
  alreadyEncrypted: 203,
} as const;

const usage = `usage: hush sops <command> [flags] FILE

commands:
  encrypt     encrypt FILE (keys from flags or .sops.yaml creation_rules)
  decrypt     decrypt FILE (MAC checked; --extract '["key"]' prints one value)
  edit        decrypt FILE into $EDITOR, re-encrypt on save (unchanged values keep their ciphertext)
  set         set FILE '["path"]["to"]' JSON-VALUE, in place
  unset       remove FILE '["path"]', in place
  rotate      new data key, every value re-encrypted (--add-age/--rm-age ... to change keys)
  updatekeys  re-wrap the data key for the keys .sops.yaml now lists for FILE
  filestatus  print {"encrypted":true|false}

flags:
  -i, --in-place              write the result back to FILE (default: stdout)
      --output PATH           write the result to PATH
      --input-type T          yaml, json, dotenv, ini or binary (default: from the extension)
      --output-type T         as --input-type (default: the input type)
      --filename-override P   use P for the type and the creation rule (stdin input with "-")
      --config PATH           the .sops.yaml to use (default: SOPS_CONFIG, then search upwards)
      --age R1,R2             age recipients            --add-age / --rm-age  (rotate)
      --hc-vault-transit U    Vault transit key URIs    --add-hc-vault-transit / --rm-hc-vault-transit
      --kms ARN               AWS KMS key ARNs          --add-kms / --rm-kms
      --gcp-kms ID            GCP KMS key resource ids  --add-gcp-kms / --rm-gcp-kms
      --azure-kv URL          Azure Key Vault key URLs  --add-azure-kv / --rm-azure-kv
      --shamir-secret-sharing-threshold N
      --unencrypted-suffix S | --encrypted-suffix S | --unencrypted-regex R | --encrypted-regex R
      | --unencrypted-comment-regex R | --encrypted-comment-regex R
      --mac-only-encrypted
      --ignore-mac                decrypt even if the MAC does not match
      --extract PATH              (decrypt) print only the value at PATH, e.g. '["data"]["password"]'
  -y, --yes                       (updatekeys) no-op; changes are applied without asking
`;

const options = {
  'in-place': { type: 'boolean', short: 'i' },
  output: { type: 'string' },
  'input-type': { type: 'string' },
  'output-type': { type: 'string' },
  'filename-override': { type: 'string' },
  config: { type: 'string' },
  age: { type: 'string' },
  'hc-vault-transit': { type: 'string' },
  kms: { type: 'string' },
  'add-age': { type: 'string' },
  'rm-age': { type: 'string' },
  'add-hc-vault-transit': { type: 'string' },
  'rm-hc-vault-transit': { type: 'string' },
  'add-kms': { type: 'string' },
  'rm-kms': { type: 'string' },
  'gcp-kms': { type: 'string' },
  'add-gcp-kms': { type: 'string' },
  'rm-gcp-kms': { type: 'string' },
  'azure-kv': { type: 'string' },
  'add-azure-kv': { type: 'string' },
  'rm-azure-kv': { type: 'string' },
  'shamir-secret-sharing-threshold': { type: 'string' },
  'unencrypted-suffix': { type: 'string' },
  'encrypted-suffix': { type: 'string' },
  'unencrypted-regex': { type: 'string' },
  'encrypted-regex': { type: 'string' },
  'unencrypted-comment-regex': { type: 'string' },
  'encrypted-comment-regex': { type: 'string' },
  'mac-only-encrypted': { type: 'boolean' },
  'ignore-mac': { type: 'boolean' },
  extract: { type: 'string' },
  'value-stdin': { type: 'boolean' },
  'value-file': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

/** An error with the exit code sops would use. */
class ExitError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

function exitFor(err: unknown, fallback: number): number {
  if (err instanceof ExitError) return err.exitCode;
  if (err instanceof MacMismatchError) return EXIT.macMismatch;
  if (err instanceof MacNotFoundError) return EXIT.macNotFound;
  if (err instanceof DataKeyError) return EXIT.couldNotRetrieveKey;
  if (err instanceof AlreadyEncryptedError) return EXIT.alreadyEncrypted;
  if (err instanceof InvalidConfigError) return EXIT.configError;
  return fallback;
}

/** Runs a step; a failure becomes an ExitError naming the file. */
async function step<T>(file: string, fallback: number, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ExitError) throw err;
    const msg = isHushError(err) ? err.message : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new ExitError(exitFor(err, fallback), `${file}: ${msg}`);
  }
}

export interface SopsIo {
  stdout: (data: Buffer | string) => void;
  stderr: (data: string) => void;
  readStdin: () => Promise<Buffer>;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

function defaultIo(): SopsIo {
  return {
    stdout: (d) => process.stdout.write(d),
    stderr: (d) => process.stderr.write(d),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    cwd: process.cwd(),
    env: process.env,
  };
}

export async function runSops(argv: string[], io: SopsIo = defaultIo()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    io.stderr(`hush sops: ${(err as Error).message}\n\n${usage}`);
    return EXIT.generic;
  }
  const [command, ...positionals] = parsed.positionals;
  if (parsed.values.help || command === undefined || command === 'help') {
    (command === undefined && !parsed.values.help ? io.stderr : io.stdout)(usage);
    return command === undefined && !parsed.values.help ? EXIT.generic : 0;
  }
  const ctx: KeyContext = { ...defaultKeyContext(), env: io.env, home: io.env.HOME ?? '' };
  try {
    const cmd = new Command(parsed.values, positionals, io, ctx);
    switch (command) {
      case 'encrypt':
        return await cmd.encrypt();
      case 'decrypt':
        return await cmd.decrypt();
      case 'edit':
        return await cmd.edit();
      case 'set':
        return await cmd.set();
      case 'unset':
        return await cmd.unset();
      case 'rotate':
        return await cmd.rotate();
      case 'updatekeys':
        return await cmd.updatekeys();
      case 'filestatus':
        return await cmd.filestatus();
      default:
        io.stderr(`hush sops: unknown command ${JSON.stringify(command)}\n\n${usage}`);
        return EXIT.generic;
    }
  } catch (err) {
    if (err instanceof ExitError) {
      io.stderr(`hush sops: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr(`hush sops: ${err instanceof HushError ? err.message : String(err)}\n`);
    return exitFor(err, EXIT.generic);
  }
}

function list(s: string | undefined): string[] {
  return (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
}

/** Writes `data` to `path` through a private temporary file in the same directory, renamed into place. */
function writeAtomic(path: string, data: Buffer): void {
  const tmp = join(dirname(path), `.${basename(path)}.hush-${process.pid}-${Date.now()}.tmp`);
  let mode = 0o600;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    // a new file
  }
  try {
    writeFileSync(tmp, data, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

class Command {
  readonly #f: Flags;
  readonly #args: string[];
  readonly #io: SopsIo;
  readonly #ctx: KeyContext;

  constructor(flags: Flags, args: string[], io: SopsIo, ctx: KeyContext) {
    this.#f = flags;
    this.#args = args;
    this.#io = io;
    this.#ctx = ctx;
  }

  #file(): string {
    const f = this.#args[0];
    if (f === undefined) throw new ExitError(EXIT.noFileSpecified, 'no file specified');
    return f;
  }

  #resolvePath(p: string): string {
    return p.startsWith('/') ? p : join(this.#io.cwd, p);
  }

  /** The name used for the type and the creation rule. */
  #logicalName(file: string): string {
    return this.#f['filename-override'] ?? file;
  }

  #type(flag: 'input-type' | 'output-type', file: string, fallback?: Format): Format {
    const t = this.#f[flag];
    if (t !== undefined) {
      if (!isFormat(t)) throw new ExitError(EXIT.generic, `--${flag} must be one of yaml, json, dotenv, ini, binary`);
      return t;
    }
    return fallback ?? formatForPath(this.#logicalName(file));
  }

  async #read(file: string): Promise<Buffer> {
    if (file === '-' || file === '/dev/stdin') return this.#io.readStdin();
    return step(file, EXIT.cannotReadInput, () => {
      try {
        return readFileSync(this.#resolvePath(file));
      } catch (err) {
        throw new InvalidSpecError(`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    });
  }

  /** Writes a result: in place, to --output, or to stdout. */
  async #emit(file: string, data: Buffer, inPlaceDefault = false): Promise<void> {
    const out = this.#f.output;
    if (out !== undefined && this.#f['in-place']) throw new ExitError(EXIT.conflictingParameters, '--in-place and --output cannot be used together');
    const target = out !== undefined ? out : this.#f['in-place'] || inPlaceDefault ? file : undefined;
    if (target === undefined || target === '-') {
      this.#io.stdout(data);
      return;
    }
    if (target === '-' || file === '-') throw new ExitError(EXIT.conflictingParameters, 'cannot write in place to stdin');
    await step(target, EXIT.cannotWriteOutput, () => writeAtomic(this.#resolvePath(target), data));
  }

  #flagRule(): EncryptionRule | undefined {
    const given = RULE_KEYS.filter((k) => this.#f[k.replaceAll('_', '-') as 'encrypted-regex'] !== undefined);
    if (given.length > 1) throw new ExitError(EXIT.conflictingParameters, `only one of --${given.map((g) => g.replaceAll('_', '-')).join(', --')} can be used`);
    const key = given[0];
    return key ? { key, value: this.#f[key.replaceAll('_', '-') as 'encrypted-regex']! } : undefined;
  }

  #flagKeys(prefix: '' | 'add-' | 'rm-'): MasterKey[] {
    return keysFrom(
      {
        age: list(this.#f[`${prefix}age`]),
        hc_vault_transit_uri: list(this.#f[`${prefix}hc-vault-transit`]),
        kms: list(this.#f[`${prefix}kms`]),
        gcp_kms: list(this.#f[`${prefix}gcp-kms`]),
        azure_keyvault: list(this.#f[`${prefix}azure-kv`]),
      },
      'command line',
    );
  }

  /** Encryption settings: keys from the flags, else from the matching .sops.yaml rule. */
  #settings(file: string): EncryptSettings {
    const keys = step_sync(file, () => this.#flagKeys(''));
    const flagRule = this.#flagRule();
    const threshold = this.#f['shamir-secret-sharing-threshold'];
    const macOnly = this.#f['mac-only-encrypted'];
    if (keys.length > 0) {
      return { keyGroups: [keys], rule: flagRule, macOnlyEncrypted: macOnly ?? false, shamirThreshold: threshold ? Number(threshold) : 0 };
    }
    const fromRule = this.#configSettings(file);
    return {
      ...fromRule,
      rule: flagRule ?? fromRule.rule,
      macOnlyEncrypted: macOnly ?? fromRule.macOnlyEncrypted,
      shamirThreshold: threshold ? Number(threshold) : fromRule.shamirThreshold,
    };
  }

  #configSettings(file: string): EncryptSettings {
    const configPath = this.#f.config ?? this.#io.env.SOPS_CONFIG ?? findConfig(this.#io.cwd);
    if (configPath === undefined) {
      throw new ExitError(EXIT.noEncryptionKey, `${file}: no keys given (use --age, --hc-vault-transit, --kms, --gcp-kms or --azure-kv) and no .sops.yaml found`);
    }
    return step_sync(file, () => {
      const config = loadConfig(this.#resolvePath(configPath));
      const name = this.#logicalName(file);
      const { rule, where } = matchCreationRule(config, this.#resolvePath(name === '-' ? 'stdin' : name));
      return settingsFromRule(rule, where);
    });
  }

  async encrypt(): Promise<number> {
    const file = this.#file();
    const data = await this.#read(file);
    const inType = this.#type('input-type', file);
    const outType = this.#type('output-type', file, inType);
    const settings = this.#settings(file);
    const docs = await step(file, EXIT.generic, () => parsePlain(inType, data));
    if (inType !== 'binary' && hasSopsMetadata(inType, docs)) throw new ExitError(EXIT.alreadyEncrypted, `${file}: the file is already encrypted`);
    const enc = await step(file, EXIT.generic, async () => stringifyEncrypted(outType, await encryptDocs(docs, settings, this.#ctx)));
    await this.#emit(file, enc);
    return 0;
  }

  async #open(file: string, data: Buffer, type: Format): Promise<OpenedFile> {
    const opened = await step(file, EXIT.decryptingTree, () => openFile(data, type, this.#ctx, { ignoreMac: this.#f['ignore-mac'] ?? false }));
    for (const p of opened.undecryptableComments) this.#io.stderr(`hush sops: warning: ${file}: a comment at ${p} looks encrypted but could not be decrypted; kept as it is\n`);
    return opened;
  }

  async decrypt(): Promise<number> {
    const file = this.#file();
    const data = await this.#read(file);
    const inType = this.#type('input-type', file);
    const outType = this.#type('output-type', file, inType);
    const opened = await this.#open(file, data, inType);
    if (this.#f.extract !== undefined) {
      const steps = step_sync(file, () => parseTreePath(this.#f.extract!), EXIT.invalidTreePath);
      const v = await step(file, EXIT.generic, () => getPath(opened.docs[0]!, steps));
      await this.#emit(file, stringifyValue(outType, v));
      return 0;
    }
    await this.#emit(file, await step(file, EXIT.generic, () => stringifyPlain(outType, opened.docs)));
    return 0;
  }

  async set(): Promise<number> {
    const [file, pathText, valueText] = this.#args;
    if (file === undefined) throw new ExitError(EXIT.noFileSpecified, 'no file specified');
    if (pathText === undefined) throw new ExitError(EXIT.invalidTreePath, `${file}: no tree path given`);
    let raw = valueText;
    if (this.#f['value-stdin']) raw = (await this.#io.readStdin()).toString('utf8');
    else if (this.#f['value-file'] && valueText !== undefined) raw = (await this.#read(valueText)).toString('utf8');
    if (raw === undefined) throw new ExitError(EXIT.invalidSetFormat, `${file}: no value given`);
    const steps = step_sync(file, () => parseTreePath(pathText), EXIT.invalidTreePath);
    const value = step_sync(file, () => parseJsonValue(raw), EXIT.invalidSetFormat);
    const type = this.#type('input-type', file);
    const opened = await this.#open(file, await this.#read(file), type);
    const doc = await step(file, EXIT.generic, () => setPath(opened.docs[0]!, steps, value));
    const out = await step(file, EXIT.generic, () => resealFile(opened, [doc, ...opened.docs.slice(1)], this.#type('output-type', file, type)));
    await this.#emit(file, out, true);
    return 0;
  }

  async unset(): Promise<number> {
    const [file, pathText] = this.#args;
    if (file === undefined) throw new ExitError(EXIT.noFileSpecified, 'no file specified');
    if (pathText === undefined) throw new ExitError(EXIT.invalidTreePath, `${file}: no tree path given`);
    const steps = step_sync(file, () => parseTreePath(pathText), EXIT.invalidTreePath);
    const type = this.#type('input-type', file);
    const opened = await this.#open(file, await this.#read(file), type);
    const doc = await step(file, EXIT.generic, () => unsetPath(opened.docs[0]!, steps));
    await this.#emit(file, resealFile(opened, [doc, ...opened.docs.slice(1)], this.#type('output-type', file, type)), true);
    return 0;
  }

  async rotate(): Promise<number> {
    const file = this.#file();
    const type = this.#type('input-type', file);
    const opened = await this.#open(file, await this.#read(file), type);
    const add = step_sync(file, () => this.#flagKeys('add-'));
    const rm = step_sync(file, () => this.#flagKeys('rm-'));
    const out = await step(file, EXIT.generic, () => rotateFile(opened, this.#type('output-type', file, type), this.#ctx, { add, remove: (k) => rm.some((r) => sameKey(r, k)) }));
    await this.#emit(file, out);
    return 0;
  }

  async updatekeys(): Promise<number> {
    const file = this.#file();
    const type = this.#type('input-type', file);
    const data = await this.#read(file);
    const encrypted = await step(file, EXIT.decryptingTree, () => parseEncrypted(type, data));
    const settings = this.#configSettings(file);
    const before = encrypted.metadata.keyGroups;
    const changed = !sameGroups(before, settings.keyGroups) || (settings.shamirThreshold ?? 0) !== encrypted.metadata.shamirThreshold;
    if (!changed) {
      this.#io.stderr(`hush sops: ${file}: already up to date\n`);
      return 0;
    }
    const dataKey = await step(file, EXIT.couldNotRetrieveKey, () => recoverDataKey(encrypted.metadata, this.#ctx));
    const updated = await step(file, EXIT.generic, () => updateKeys(encrypted, dataKey, settings.keyGroups, settings.shamirThreshold ?? 0, this.#ctx));
    for (const [i, g] of settings.keyGroups.entries()) {
      for (const k of g) if (!before[i]?.some((b) => sameKey(b, k))) this.#io.stderr(`hush sops: ${file}: group ${i + 1}: + ${describeKey(k)}\n`);
      for (const k of before[i] ?? []) if (!g.some((n) => sameKey(n, k))) this.#io.stderr(`hush sops: ${file}: group ${i + 1}: - ${describeKey(k)}\n`);
    }
    await this.#emit(file, stringifyEncrypted(type, updated), true);
    return 0;
  }

  async filestatus(): Promise<number> {
    const file = this.#file();
    const data = await this.#read(file);
    const type = this.#type('input-type', file);
    let encrypted = false;
    try {
      encrypted = parseEncrypted(type, data).metadata.mac !== '';
    } catch {
      encrypted = false;
    }
    this.#io.stdout(JSON.stringify({ encrypted }) + '\n');
    return 0;
  }

  async edit(): Promise<number> {
    const file = this.#file();
    if (file === '-') throw new ExitError(EXIT.conflictingParameters, 'edit needs a file, not stdin');
    const path = this.#resolvePath(file);
    const type = this.#type('input-type', file);
    const editor = this.#io.env.SOPS_EDITOR || this.#io.env.EDITOR;
    if (!editor) throw new ExitError(EXIT.noEditor, 'no editor: set $EDITOR (or $SOPS_EDITOR)');
    const exists = existsSync(path);
    let opened: OpenedFile | undefined;
    let plain: Buffer;
    if (exists) {
      opened = await this.#open(file, await this.#read(file), type);
      plain = stringifyPlain(type, opened.docs);
    } else {
      plain = Buffer.from(type === 'json' ? '{}\n' : type === 'yaml' ? 'key: value\n' : type === 'dotenv' ? 'KEY=value\n' : type === 'ini' ? '[section]\nkey = value\n' : '', 'utf8');
    }
    // A private directory only we can read; removed in `finally` whatever happens.
    const dir = mkdtempSync(join(tmpdir(), 'hush-sops-edit-'));
    chmodSync(dir, 0o700);
    const tmp = join(dir, `plaintext${extname(file) || ''}`);
    try {
      writeFileSync(tmp, plain, { mode: 0o600 });
      const code = await runEditor(editor, tmp, this.#io.env);
      if (code !== 0) throw new ExitError(EXIT.generic, `${file}: the editor exited with status ${code}; the file was not changed`);
      const edited = readFileSync(tmp);
      if (exists && edited.equals(plain)) {
        this.#io.stderr(`hush sops: ${file}: file has not changed, exiting\n`);
        return EXIT.fileNotModified;
      }
      const docs = await step(file, EXIT.generic, () => parsePlain(type, edited));
      if (type !== 'binary' && hasSopsMetadata(type, docs)) throw new ExitError(EXIT.generic, `${file}: the edited file must not contain a sops section`);
      const out = opened
        ? await step(file, EXIT.generic, () => resealFile(opened, docs, type))
        : await step(file, EXIT.generic, async () => stringifyEncrypted(type, await encryptDocs(docs, this.#settings(file), this.#ctx)));
      await step(file, EXIT.cannotWriteOutput, () => writeAtomic(path, out));
      return 0;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function step_sync<T>(file: string, fn: () => T, fallback: number = EXIT.generic): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ExitError) throw err;
    throw new ExitError(exitFor(err, fallback), `${file}: ${isHushError(err) ? err.message : String(err)}`);
  }
}

function parseJsonValue(raw: string): Value {
  const doc = parseJson(`{"v": ${raw}}`);
  const e = getEntry(doc, 'v');
  if (!e) throw new InvalidDataError('the value must be JSON (strings in double quotes)');
  return e.value;
}

function sameGroups(a: KeyGroup[], b: KeyGroup[]): boolean {
  return a.length === b.length && a.every((g, i) => g.length === b[i]!.length && g.every((k) => b[i]!.some((n) => sameKey(n, k))));
}

function runEditor(editor: string, file: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    // Through the shell, as sops does, so EDITOR="code --wait" works.
    const child = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'editor', file], { stdio: 'inherit', env });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolvePromise(signal ? 128 : (code ?? 1)));
  });
}

