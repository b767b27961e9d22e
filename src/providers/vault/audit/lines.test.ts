import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter } from './lines.ts';

function splitter(max: number): { s: LineSplitter; lines: string[]; oversized: number[]; held: () => number } {
  const lines: string[] = [];
  const oversized: number[] = [];
  const s = new LineSplitter(max, { line: (t) => lines.push(t), oversized: (n) => oversized.push(n) });
  // What the splitter holds, read through its private fields: the bound is the point of the class.
  const held = (): number => (s as unknown as { held: number }).held;
  return { s, lines, oversized, held };
}

void describe('LineSplitter', () => {
  void it('splits lines across and within chunks', () => {
    const { s, lines } = splitter(100);
    s.push(Buffer.from('{"a":1}\n{"b"'));
    assert.equal(s.pending, true);
    s.push(Buffer.from(':2}\n\n{"c":3}\n'));
    assert.deepEqual(lines, ['{"a":1}', '{"b":2}', '', '{"c":3}']);
    assert.equal(s.pending, false);
  });

  void it('a line over the limit is skipped to its newline, reported by size, and never held whole', () => {
    const { s, lines, oversized, held } = splitter(10);
    s.push(Buffer.from('ok\n0123456'));
    s.push(Buffer.from('789abcdef'));
    assert.ok(held() <= 10, 'holds no more than the limit');
    for (let i = 0; i < 100; i++) s.push(Buffer.alloc(1000, 0x61));
    assert.equal(held(), 0);
    s.push(Buffer.from('tail\nnext\n'));
    assert.deepEqual(lines, ['ok', 'next']);
    assert.deepEqual(oversized, [7 + 9 + 100_000 + 4]);
  });

  void it('a line of exactly the limit passes; one byte more does not', () => {
    const { s, lines, oversized } = splitter(4);
    s.push(Buffer.from('abcd\nabcde\n'));
    assert.deepEqual(lines, ['abcd']);
    assert.deepEqual(oversized, [5]);
  });

  void it('multi-byte characters split across chunks survive', () => {
    const { s, lines } = splitter(100);
    const bytes = Buffer.from('ü€\n');
    s.push(bytes.subarray(0, 1));
    s.push(bytes.subarray(1));
    assert.deepEqual(lines, ['ü€']);
  });
});
