/**
 * Hush's SOPS codec against the real `sops` 3.13.2 and `age` 1.3.1, both
 * directions: files Hush writes decrypt with `sops` (which checks the MAC),
 * files `sops` writes decrypt with Hush, for every format and for age
 * (X25519 and post-quantum), Shamir key groups, the encryption rules,
 * `rotate`, `updatekeys`, `set` and `edit`. Vault transit (OpenBao) and AWS
 * KMS (moto) are in sops-kms.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { ageKeygen, hush, sops, sopsTools, tempDir } from '../support/sops.ts';

const tools = sopsTools();
const skip = 'skip' in tools ? tools.skip : false;
const bin = 'bin' in tools ? tools.bin : '';

const samples: Record<string, string> = {
  'secret.yaml': `# Flux Secret
apiVersion: v1
kind: Secret
metadata:
    name: app # the name
stringData:
    password: canary-s3cret
    port: 5432
    ratio: 0.25
    enabled: false
    when: 2024-01-02T03:04:05Z
    empty: ""
    nothing: null
    list:
        - one
        - 2
        - nested: value
    multi: |
        line one
        line two
    quoted: "yes"
---
second: document
`,
  'config.json': '{\n\t"a": "b",\n\t"n": 12,\n\t"f": 1.5,\n\t"t": true,\n\t"z": null,\n\t"l": [\n\t\t"x",\n\t\t{\n\t\t\t"k": "v"\n\t\t}\n\t]\n}\n',
  'app.env': 'DB_PASSWORD=canary-s3cret\n# a comment\nMULTI=a\\nb\nEMPTY=\n',
  'app.ini': '[db]\nuser     = admin\n; the password\npassword = canary-s3cret\n\n[cache]\nttl = 30\n',
  'blob.bin': '\u0000binary\u00ffdata',
};

void describe('sops interop (age)', { skip }, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let rec: string;

  before(() => {
    dir = tempDir();
    const k = ageKeygen(bin);
    const pq = ageKeygen(bin, true);
    writeFileSync(join(dir, 'keys.txt'), `# test keys\n${k.identity}\n${pq.identity}\n`, { mode: 0o600 });
    rec = k.recipient;
    env = { PATH: process.env.PATH, HOME: dir, SOPS_AGE_KEY_FILE: join(dir, 'keys.txt') };
    writeFileSync(join(dir, 'pq.txt'), pq.recipient);
    for (const [name, text] of Object.entries(samples)) writeFileSync(join(dir, name), name.endsWith('.bin') ? Buffer.from(text, 'latin1') : text);
  });

  void test('files Hush encrypts decrypt with sops (MAC checked), in every format', async () => {
    for (const name of Object.keys(samples)) {
      const r = await hush(['encrypt', '--age', rec, name], dir, env);
      assert.equal(r.code, 0, r.stderr);
      const encName = `hush-${name}`;
      writeFileSync(join(dir, encName), r.stdout);
      const type = name.endsWith('.bin') ? 'binary' : name.endsWith('.env') ? 'dotenv' : name.split('.').pop()!;
      const out = sops(bin, ['decrypt', '--input-type', type, '--output-type', type, encName], dir, env);
      if (type === 'yaml') {
        // sops re-emits YAML in its own style; compare what it means.
        const again = await hush(['decrypt', '--input-type', 'yaml', '/dev/stdin'], dir, env, r.stdout);
        assert.equal(again.code, 0, again.stderr);
        const viaHush = await hush(['encrypt', '--age', rec, '--input-type', 'yaml', '-'], dir, env, out);
        assert.equal(viaHush.code, 0, viaHush.stderr);
        assert.match(out.toString(), /password: canary-s3cret/);
        assert.match(out.toString(), /\nsecond: document\n/);
      } else {
        assert.deepEqual(out, readFileSync(join(dir, name)), name);
      }
    }
  });

  void test('files sops encrypts decrypt with Hush to what sops itself prints, in every format', async () => {
    for (const name of Object.keys(samples)) {
      const enc = sops(bin, ['encrypt', '--age', rec, name], dir, env);
      writeFileSync(join(dir, `sops-${name}`), enc);
      const type = name.endsWith('.bin') ? 'binary' : name.endsWith('.env') ? 'dotenv' : name.split('.').pop()!;
      const theirs = sops(bin, ['decrypt', '--input-type', type, '--output-type', type, `sops-${name}`], dir, env);
      const ours = await hush(['decrypt', '--input-type', type, `sops-${name}`], dir, env);
      assert.equal(ours.code, 0, ours.stderr);
      if (type === 'yaml') {
        // Same values; YAML layout of comments may differ.
        const a = await hush(['encrypt', '--age', rec, '--input-type', 'yaml', '-'], dir, env, theirs);
        const b = await hush(['encrypt', '--age', rec, '--input-type', 'yaml', '-'], dir, env, ours.stdout);
        assert.equal(a.code + b.code, 0);
        assert.equal(stripComments(ours.stdout.toString()), stripComments(theirs.toString()));
      } else assert.deepEqual(ours.stdout, theirs, name);
    }
  });

  void test('post-quantum age recipients interoperate both ways', async () => {
    const pq = readFileSync(join(dir, 'pq.txt'), 'utf8');
    const r = await hush(['encrypt', '--age', pq, 'config.json'], dir, env);
    assert.equal(r.code, 0, r.stderr);
    writeFileSync(join(dir, 'pq-hush.json'), r.stdout);
    assert.deepEqual(sops(bin, ['decrypt', 'pq-hush.json'], dir, env), readFileSync(join(dir, 'config.json')));
    writeFileSync(join(dir, 'pq-sops.json'), sops(bin, ['encrypt', '--age', pq, 'config.json'], dir, env));
    const back = await hush(['decrypt', 'pq-sops.json'], dir, env);
    assert.deepEqual(back.stdout, readFileSync(join(dir, 'config.json')));
  });

  void test('.sops.yaml creation rules with Shamir key groups and encrypted_regex, both ways', async () => {
    const k2 = ageKeygen(bin);
    const k3 = ageKeygen(bin);
    const sub = join(dir, 'groups');
    execFileSync('mkdir', ['-p', sub]);
    writeFileSync(join(sub, '.sops.yaml'), `creation_rules:
  - path_regex: nothing-matches-this
    age: ${k3.recipient}
  - path_regex: \\.yaml$
    encrypted_regex: ^(data|stringData)$
    shamir_threshold: 2
    key_groups:
      - age: [${rec}]
      - age: [${k2.recipient}]
      - age: [${k3.recipient}]
`);
    writeFileSync(join(sub, 's.yaml'), 'apiVersion: v1\nkind: Secret\nstringData:\n    password: canary-s3cret\n');
    const ours = await hush(['encrypt', 's.yaml'], sub, env);
    assert.equal(ours.code, 0, ours.stderr);
    assert.match(ours.stdout.toString(), /^apiVersion: v1\nkind: Secret\n/);
    writeFileSync(join(sub, 'h.yaml'), ours.stdout);
    // sops with two of the three identities (the file key holds rec + k2)
    const twoKeys = { ...env, SOPS_AGE_KEY_FILE: undefined, SOPS_AGE_KEY: `${k2.identity}\n${readFileSync(join(dir, 'keys.txt'), 'utf8').split('\n')[1]!}` };
    assert.match(sops(bin, ['decrypt', 'h.yaml'], sub, twoKeys).toString(), /password: canary-s3cret/);
    writeFileSync(join(sub, 'theirs.yaml'), sops(bin, ['encrypt', 's.yaml'], sub, env));
    const back = await hush(['decrypt', 'theirs.yaml'], sub, twoKeys);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout.toString(), readFileSync(join(sub, 's.yaml'), 'utf8'));
    const onlyOne = await hush(['decrypt', 'theirs.yaml'], sub, { ...env, SOPS_AGE_KEY_FILE: undefined, SOPS_AGE_KEY: k3.identity });
    assert.equal(onlyOne.code, 128);
  });

  void test('mac_only_encrypted and comment rules written by sops decrypt with Hush', async () => {
    const sub = join(dir, 'comments');
    execFileSync('mkdir', ['-p', sub]);
    // sops has no flag for the comment rules; they come from .sops.yaml.
    writeFileSync(join(sub, '.sops.yaml'), `creation_rules:\n  - age: ${rec}\n    encrypted_comment_regex: sops:enc\n    mac_only_encrypted: true\n`);
    writeFileSync(join(sub, 'c.yaml'), 'a: plain\n# sops:enc\nb: secret\nlist:\n    # sops:enc\n    - hidden\n    - shown\n');
    const enc = sops(bin, ['encrypt', 'c.yaml'], sub, env);
    assert.match(enc.toString(), /a: plain\n/);
    writeFileSync(join(sub, 'c.enc.yaml'), enc);
    const ours = await hush(['decrypt', 'c.enc.yaml'], sub, env);
    assert.equal(ours.code, 0, ours.stderr);
    assert.match(ours.stdout.toString(), /b: secret/);
    assert.match(ours.stdout.toString(), /- hidden/);
    const mine = await hush(['encrypt', 'c.yaml'], sub, env);
    assert.equal(mine.code, 0, mine.stderr);
    assert.match(mine.stdout.toString(), /a: plain\n# sops:enc\nb: ENC\[/);
    writeFileSync(join(sub, 'c.hush.yaml'), mine.stdout);
    assert.match(sops(bin, ['decrypt', 'c.hush.yaml'], sub, env).toString(), /b: secret/);
  });

  void test('rotate, updatekeys, set and edit results decrypt with sops; sops rotate output decrypts with Hush', async () => {
    const sub = join(dir, 'ops');
    execFileSync('mkdir', ['-p', sub]);
    const k2 = ageKeygen(bin);
    writeFileSync(join(sub, 's.yaml'), 'data:\n    password: canary-s3cret\n    user: admin\n');
    writeFileSync(join(sub, '.sops.yaml'), `creation_rules:\n  - age: ${rec}\n`);
    assert.equal((await hush(['encrypt', '-i', 's.yaml'], sub, env)).code, 0);
    // set: only the changed value's ciphertext changes
    const before = readFileSync(join(sub, 's.yaml'), 'utf8');
    const set = await hush(['set', 's.yaml', '["data"]["user"]', '"root"'], sub, env);
    assert.equal(set.code, 0, set.stderr);
    const after = readFileSync(join(sub, 's.yaml'), 'utf8');
    assert.equal(line(after, 'password'), line(before, 'password'));
    assert.notEqual(line(after, 'user'), line(before, 'user'));
    assert.match(sops(bin, ['decrypt', 's.yaml'], sub, env).toString(), /user: root/);
    // edit with a scripted editor
    const editor = join(sub, 'ed.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/root/operator/" "$1"\n');
    chmodSync(editor, 0o755);
    const tmpBefore = readdirSync(tmpdir()).filter((f) => f.startsWith('hush-sops-edit-')).length;
    const ed = await hush(['edit', 's.yaml'], sub, { ...env, EDITOR: editor });
    assert.equal(ed.code, 0, ed.stderr);
    assert.equal(readdirSync(tmpdir()).filter((f) => f.startsWith('hush-sops-edit-')).length, tmpBefore, 'the plaintext temp dir is removed');
    assert.equal(line(readFileSync(join(sub, 's.yaml'), 'utf8'), 'password'), line(before, 'password'));
    assert.match(sops(bin, ['decrypt', 's.yaml'], sub, env).toString(), /user: operator/);
    // updatekeys: add a second recipient from the config
    writeFileSync(join(sub, '.sops.yaml'), `creation_rules:\n  - age: ${rec},${k2.recipient}\n`);
    const up = await hush(['updatekeys', '-y', 's.yaml'], sub, env);
    assert.equal(up.code, 0, up.stderr);
    const k2env = { ...env, SOPS_AGE_KEY_FILE: undefined, SOPS_AGE_KEY: k2.identity };
    assert.match(sops(bin, ['decrypt', 's.yaml'], sub, k2env).toString(), /user: operator/);
    // rotate: new data key, sops still decrypts
    const rot = await hush(['rotate', '-i', '--rm-age', rec, 's.yaml'], sub, env);
    assert.equal(rot.code, 0, rot.stderr);
    assert.match(sops(bin, ['decrypt', 's.yaml'], sub, k2env).toString(), /password: canary-s3cret/);
    assert.throws(() => sops(bin, ['decrypt', 's.yaml'], sub, { ...env, SOPS_AGE_KEY_FILE: join(dir, 'keys.txt') }));
    // sops rotate + updatekeys on a Hush file, then Hush decrypts
    sops(bin, ['rotate', '-i', '--add-age', rec, 's.yaml'], sub, k2env);
    const back = await hush(['decrypt', 's.yaml'], sub, env);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout.toString(), /user: operator/);
  });

  void test('files Hush writes carry the exact markers Flux detects', async () => {
    const cases: Array<[string, RegExp]> = [
      ['secret.yaml', /\n {4}mac: ENC\[/],
      ['config.json', /\n\t\t"mac": "ENC\[/],
      ['app.env', /\nsops_mac=ENC\[/],
      ['app.ini', /\n\[sops\]\n/],
      ['blob.bin', /"mac": "ENC\[/],
    ];
    for (const [name, marker] of cases) {
      const r = await hush(['encrypt', '--age', rec, name], dir, env);
      assert.match(r.stdout.toString(), marker, name);
      assert.doesNotMatch(r.stdout.toString(), /canary-s3cret/, name);
    }
  });
});

function line(text: string, key: string): string | undefined {
  return text.split('\n').find((l) => l.trimStart().startsWith(`${key}:`));
}

function stripComments(yaml: string): string {
  return yaml
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .map((l) => l.replace(/ #.*$/, ''))
    .join('\n');
}
