import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFloatF, goFloatJson, goMarshal, goStringFromBytes, JsonNumber, parseJson, sortedKeys } from './gojson.ts';

void describe('Go-compatible JSON', () => {
  void it('keeps number literals as written', () => {
    const v = parseJson('{"a":1.0,"b":1e3,"c":12345678901234567890,"d":-0.50}');
    assert.equal(goMarshal(v), '{"a":1.0,"b":1e3,"c":12345678901234567890,"d":-0.50}');
  });

  void it('sorts keys by UTF-8 bytes and writes compact output', () => {
    const v = parseJson('{ "b": 1, "a": [ true, false, null ], "B": {"y":"1", "x":"2"}, "10": "t", "9": "n" }');
    assert.equal(goMarshal(v), '{"10":"t","9":"n","B":{"x":"2","y":"1"},"a":[true,false,null],"b":1}');
  });

  void it('orders characters above U+FFFF after U+E000–FFFF, as byte order does', () => {
    assert.deepEqual(sortedKeys({ '\u{1F600}': 1, '\uFF01': 2, a: 3 }), ['a', '\uFF01', '\u{1F600}']);
  });

  void it('escapes like encoding/json: HTML characters, U+2028/2029, control characters', () => {
    const s = '<a href="x">&</a>\u2028\u2029\b\f\n\r\t\u0001\u001f\u007f\\é😀';
    assert.equal(
      goMarshal(s),
      '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e\\u2028\\u2029\\b\\f\\n\\r\\t\\u0001\\u001f\u007f\\\\é😀"',
    );
    assert.equal(goMarshal('<&>', { escapeHTML: false }), '"<&>"');
    assert.equal(goMarshal('\u2028', { escapeHTML: false }), '"\\u2028"');
  });

  void it('writes a lone surrogate as \\ufffd (invalid UTF-8 in Go)', () => {
    assert.equal(goMarshal('a\ud800b'), '"a\\ufffdb"');
  });

  void it('re-encodes numbers through float64 when asked', () => {
    const v = parseJson('{"n":[1.0,1e3,0.0000001,1e21,123456789012345678901,-0.0]}');
    assert.equal(goMarshal(v, { numbers: 'float64' }), '{"n":[1,1000,1e-7,1e+21,123456789012345680000,-0]}');
  });

  void it('formats floats without an exponent like strconv.FormatFloat(f, \'f\', -1, 64)', () => {
    assert.equal(formatFloatF(1), '1');
    assert.equal(formatFloatF(1000), '1000');
    assert.equal(formatFloatF(1e21), '1000000000000000000000');
    assert.equal(formatFloatF(1.5e-7), '0.00000015');
    assert.equal(formatFloatF(-2.5e22), '-25000000000000000000000');
    assert.equal(formatFloatF(0.1), '0.1');
    assert.equal(formatFloatF(2 ** 53 + 1), '9007199254740992');
    assert.equal(goFloatJson(1e-7), '1e-7');
  });

  void it('turns each invalid UTF-8 byte into one \\ufffd, like Go', () => {
    const bytes = Uint8Array.from([0x61, 0xff, 0xc3, 0xa9, 0xe2, 0x82, 0x62, 0xed, 0xa0, 0x80]);
    assert.equal(goMarshal(goStringFromBytes(bytes)), '"a\\ufffdé\\ufffd\\ufffdb\\ufffd\\ufffd\\ufffd"');
  });

  void it('parses numbers into JsonNumber', () => {
    const v = parseJson('[7]') as JsonNumber[];
    assert.ok(v[0] instanceof JsonNumber);
    assert.equal(v[0].literal, '7');
  });
});
