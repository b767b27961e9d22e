/**
 * The lexer of Go's text/template/parse, state for state, so tokens, trim
 * markers, comments and error messages match Go's. Works on byte strings;
 * positions are byte offsets, as Go's column numbers are.
 */
import { decodeLastRune, decodeRune, encodeRune, isDigit, isLetter, isPrint } from './gostr.ts';
import { quote } from './strconv.ts';


export type ItemType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'comment'
  | 'complex'
  | 'assign'
  | 'declare'
  | 'EOF'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  // keywords
  | 'block'
  | 'break'
  | 'continue'
  | 'dot'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

const keywords: Record<string, ItemType> = {
  '.': 'dot',
  block: 'block',
  break: 'break',
  continue: 'continue',
  define: 'define',
  else: 'else',
  end: 'end',
  if: 'if',
  range: 'range',
  nil: 'nil',
  template: 'template',
  with: 'with',
};
const keywordTypes = new Set<ItemType>(Object.values(keywords));

export interface Item {
  typ: ItemType;
  pos: number;
  val: string;
  line: number;
}

/** item.String() from Go, used in "unexpected X in Y" messages. */
export function itemString(i: Item): string {
  if (i.typ === 'EOF') return 'EOF';
  if (i.typ === 'error') return i.val;
  if (keywordTypes.has(i.typ)) return `<${i.val}>`;
  let n = 0;
  for (let k = 0; k < i.val.length; n++) {
    if (n === 10) return quote(i.val.slice(0, k)) + '...';
    k += decodeRune(i.val, k)[1];
  }
  return quote(i.val);
}

const EOF = -1;
const spaceChars = ' \t\r\n';
const trimMarker = '-';
const trimMarkerLen = 2;

function isSpaceRune(r: number): boolean {
  return r === 0x20 || r === 0x09 || r === 0x0d || r === 0x0a;
}
function isAlphaNumeric(r: number): boolean {
  return r === 0x5f || isLetter(r) || isDigit(r);
}
function hasLeftTrimMarker(s: string, at: number): boolean {
  return s.length - at >= 2 && s[at] === trimMarker && isSpaceRune(s.charCodeAt(at + 1));
}
function hasRightTrimMarker(s: string, at: number): boolean {
  return s.length - at >= 2 && isSpaceRune(s.charCodeAt(at)) && s[at + 1] === trimMarker;
}
function trimRightLen(s: string): number {
  let i = s.length;
  while (i > 0 && spaceChars.includes(s[i - 1]!)) i--;
  return s.length - i;
}
function trimLeftLen(s: string, from: number): number {
  let i = from;
  while (i < s.length && spaceChars.includes(s[i]!)) i++;
  return i - from;
}

type StateFn = ((l: Lexer) => StateFn) | null;

export interface LexOptions {
  breakOK: boolean;
  continueOK: boolean;
}

export class Lexer {
  readonly input: string;
  readonly leftDelim: string;
  readonly rightDelim: string;
  options: LexOptions = { breakOK: true, continueOK: true };
  private pos = 0;
  private start = 0;
  private atEOF = false;
  private parenDepth = 0;
  private line = 1;
  private startLine = 1;
  private item: Item = { typ: 'EOF', pos: 0, val: 'EOF', line: 1 };
  private insideAction = false;
  private text: string;

  constructor(input: string, left: string, right: string) {
    this.input = input;
    this.text = input;
    this.leftDelim = left || '{{';
    this.rightDelim = right || '}}';
  }

  nextItem(): Item {
    this.item = { typ: 'EOF', pos: this.pos, val: 'EOF', line: this.startLine };
    let state: StateFn = this.insideAction ? lexInsideAction : lexText;
    while (state !== null) state = state(this);
    return this.item;
  }

  // --- primitives ---
  next(): number {
    if (this.pos >= this.text.length) {
      this.atEOF = true;
      return EOF;
    }
    const [r, w] = decodeRune(this.text, this.pos);
    this.pos += w;
    if (r === 0x0a) this.line++;
    return r;
  }
  peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }
  backup(): void {
    if (!this.atEOF && this.pos > 0) {
      const [r, w] = decodeLastRune(this.text, this.pos);
      this.pos -= w;
      if (r === 0x0a) this.line--;
    }
  }
  thisItem(t: ItemType): Item {
    const i: Item = { typ: t, pos: this.start, val: this.text.slice(this.start, this.pos), line: this.startLine };
    this.start = this.pos;
    this.startLine = this.line;
    return i;
  }
  emit(t: ItemType): StateFn {
    return this.emitItem(this.thisItem(t));
  }
  emitItem(i: Item): StateFn {
    this.item = i;
    return null;
  }
  ignore(): void {
    this.line += countNewlines(this.text, this.start, this.pos);
    this.start = this.pos;
    this.startLine = this.line;
  }
  accept(valid: string): boolean {
    const r = this.next();
    if (r !== EOF && valid.includes(String.fromCharCode(r))) return true;
    this.backup();
    return false;
  }
  acceptRun(valid: string): void {
    for (;;) {
      const r = this.next();
      if (r === EOF || r > 0x7f || !valid.includes(String.fromCharCode(r))) break;
    }
    this.backup();
  }
  errorf(msg: string): StateFn {
    this.item = { typ: 'error', pos: this.start, val: msg, line: this.startLine };
    this.start = 0;
    this.pos = 0;
    this.text = '';
    return null;
  }
  atRightDelim(): [boolean, boolean] {
    if (hasRightTrimMarker(this.text, this.pos) && this.text.startsWith(this.rightDelim, this.pos + trimMarkerLen)) return [true, true];
    if (this.text.startsWith(this.rightDelim, this.pos)) return [true, false];
    return [false, false];
  }
  atTerminator(): boolean {
    const r = this.peek();
    if (isSpaceRune(r)) return true;
    switch (r) {
      case EOF:
      case 0x2e: // .
      case 0x2c: // ,
      case 0x7c: // |
      case 0x3a: // :
      case 0x29: // )
      case 0x28: // (
        return true;
    }
    return this.text.startsWith(this.rightDelim, this.pos);
  }
  scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i');
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }

  // state access for the state functions below
  get _pos(): number {
    return this.pos;
  }
  set _pos(v: number) {
    this.pos = v;
  }
  get _start(): number {
    return this.start;
  }
  get _text(): string {
    return this.text;
  }
  addLines(n: number): void {
    this.line += n;
  }
  setInsideAction(v: boolean): void {
    this.insideAction = v;
  }
  get _parenDepth(): number {
    return this.parenDepth;
  }
  set _parenDepth(v: number) {
    this.parenDepth = v;
  }
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function lexText(l: Lexer): StateFn {
  const text = l._text;
  const x = text.indexOf(l.leftDelim, l._pos);
  if (x >= 0) {
    if (x > l._pos) {
      l._pos = x;
      let trimLength = 0;
      const delimEnd = l._pos + l.leftDelim.length;
      if (hasLeftTrimMarker(text, delimEnd)) trimLength = trimRightLen(text.slice(l._start, l._pos));
      l._pos -= trimLength;
      l.addLines(countNewlines(text, l._start, l._pos));
      const i = l.thisItem('text');
      l._pos += trimLength;
      l.ignore();
      if (i.val.length > 0) return l.emitItem(i);
    }
    return lexLeftDelim;
  }
  l._pos = text.length;
  if (l._pos > l._start) {
    l.addLines(countNewlines(text, l._start, l._pos));
    return l.emit('text');
  }
  return l.emit('EOF');
}

function lexLeftDelim(l: Lexer): StateFn {
  l._pos += l.leftDelim.length;
  const trimSpace = hasLeftTrimMarker(l._text, l._pos);
  const afterMarker = trimSpace ? trimMarkerLen : 0;
  if (l._text.startsWith('/*', l._pos + afterMarker)) {
    l._pos += afterMarker;
    l.ignore();
    return lexComment;
  }
  const i = l.thisItem('leftDelim');
  l.setInsideAction(true);
  l._pos += afterMarker;
  l.ignore();
  l._parenDepth = 0;
  return l.emitItem(i);
}

function lexComment(l: Lexer): StateFn {
  l._pos += 2;
  const x = l._text.indexOf('*/', l._pos);
  if (x < 0) return l.errorf('unclosed comment');
  l._pos = x + 2;
  const [delim, trimSpace] = l.atRightDelim();
  if (!delim) return l.errorf('comment ends before closing delimiter');
  l.addLines(countNewlines(l._text, l._start, l._pos));
  l.thisItem('comment');
  if (trimSpace) l._pos += trimMarkerLen;
  l._pos += l.rightDelim.length;
  if (trimSpace) l._pos += trimLeftLen(l._text, l._pos);
  l.ignore();
  return lexText;
}

function lexRightDelim(l: Lexer): StateFn {
  const [, trimSpace] = l.atRightDelim();
  if (trimSpace) {
    l._pos += trimMarkerLen;
    l.ignore();
  }
  l._pos += l.rightDelim.length;
  const i = l.thisItem('rightDelim');
  if (trimSpace) {
    l._pos += trimLeftLen(l._text, l._pos);
    l.ignore();
  }
  l.setInsideAction(false);
  return l.emitItem(i);
}

function lexInsideAction(l: Lexer): StateFn {
  const [delim] = l.atRightDelim();
  if (delim) {
    if (l._parenDepth === 0) return lexRightDelim;
    return l.errorf('unclosed left paren');
  }
  const r = l.next();
  if (r === EOF) return l.errorf('unclosed action');
  if (isSpaceRune(r)) {
    l.backup();
    return lexSpace;
  }
  switch (r) {
    case 0x3d: // =
      return l.emit('assign');
    case 0x3a: // :
      if (l.next() !== 0x3d) return l.errorf('expected :=');
      return l.emit('declare');
    case 0x7c:
      return l.emit('pipe');
    case 0x22:
      return lexQuote;
    case 0x60:
      return lexRawQuote;
    case 0x24:
      return lexVariable;
    case 0x27:
      return lexChar;
    case 0x28:
      l._parenDepth++;
      return l.emit('leftParen');
    case 0x29:
      l._parenDepth--;
      if (l._parenDepth < 0) return l.errorf('unexpected right paren');
      return l.emit('rightParen');
  }
  if (r === 0x2e) {
    if (l._pos < l._text.length) {
      const c = l._text.charCodeAt(l._pos);
      if (c < 0x30 || c > 0x39) return lexField;
    }
    l.backup();
    return lexNumber;
  }
  if (r === 0x2b || r === 0x2d || (r >= 0x30 && r <= 0x39)) {
    l.backup();
    return lexNumber;
  }
  if (isAlphaNumeric(r)) {
    l.backup();
    return lexIdentifier;
  }
  if (r <= 0x7f && isPrint(r)) return l.emit('char');
  return l.errorf(`unrecognized character in action: ${formatU(r)}`);
}

/** %#U of a rune: U+0041 'A'. */
function formatU(r: number): string {
  const hex = r.toString(16).toUpperCase().padStart(4, '0');
  return isPrint(r) ? `U+${hex} '${encodeRune(r)}'` : `U+${hex}`;
}

function lexSpace(l: Lexer): StateFn {
  let numSpaces = 0;
  for (;;) {
    const r = l.peek();
    if (!isSpaceRune(r)) break;
    l.next();
    numSpaces++;
  }
  if (hasRightTrimMarker(l._text, l._pos - 1) && l._text.startsWith(l.rightDelim, l._pos - 1 + trimMarkerLen)) {
    l.backup();
    if (numSpaces === 1) return lexRightDelim;
  }
  return l.emit('space');
}

function lexIdentifier(l: Lexer): StateFn {
  for (;;) {
    const r = l.next();
    if (isAlphaNumeric(r)) continue;
    l.backup();
    const word = l._text.slice(l._start, l._pos);
    if (!l.atTerminator()) return l.errorf(`bad character ${formatU(r)}`);
    const kw = Object.hasOwn(keywords, word) ? keywords[word] : undefined;
    if (kw !== undefined && kw !== 'dot') {
      if ((kw === 'break' && !l.options.breakOK) || (kw === 'continue' && !l.options.continueOK)) return l.emit('identifier');
      return l.emit(kw);
    }
    if (word[0] === '.') return l.emit('field');
    if (word === 'true' || word === 'false') return l.emit('bool');
    return l.emit('identifier');
  }
}

function lexField(l: Lexer): StateFn {
  return lexFieldOrVariable(l, 'field');
}

function lexVariable(l: Lexer): StateFn {
  if (l.atTerminator()) return l.emit('variable');
  return lexFieldOrVariable(l, 'variable');
}

function lexFieldOrVariable(l: Lexer, typ: ItemType): StateFn {
  if (l.atTerminator()) return l.emit(typ === 'variable' ? 'variable' : 'dot');
  let r: number;
  for (;;) {
    r = l.next();
    if (!isAlphaNumeric(r)) {
      l.backup();
      break;
    }
  }
  if (!l.atTerminator()) return l.errorf(`bad character ${formatU(r)}`);
  return l.emit(typ);
}

function lexChar(l: Lexer): StateFn {
  for (;;) {
    const r = l.next();
    if (r === 0x5c) {
      const r2 = l.next();
      if (r2 !== EOF && r2 !== 0x0a) continue;
      return l.errorf('unterminated character constant');
    }
    if (r === EOF || r === 0x0a) return l.errorf('unterminated character constant');
    if (r === 0x27) break;
  }
  return l.emit('charConstant');
}

function lexNumber(l: Lexer): StateFn {
  if (!l.scanNumber()) return l.errorf(`bad number syntax: ${quote(l._text.slice(l._start, l._pos))}`);
  const sign = l.peek();
  if (sign === 0x2b || sign === 0x2d) {
    if (!l.scanNumber() || l._text[l._pos - 1] !== 'i') return l.errorf(`bad number syntax: ${quote(l._text.slice(l._start, l._pos))}`);
    return l.emit('complex');
  }
  return l.emit('number');
}

function lexQuote(l: Lexer): StateFn {
  for (;;) {
    const r = l.next();
    if (r === 0x5c) {
      const r2 = l.next();
      if (r2 !== EOF && r2 !== 0x0a) continue;
      return l.errorf('unterminated quoted string');
    }
    if (r === EOF || r === 0x0a) return l.errorf('unterminated quoted string');
    if (r === 0x22) break;
  }
  return l.emit('string');
}

function lexRawQuote(l: Lexer): StateFn {
  for (;;) {
    const r = l.next();
    if (r === EOF) return l.errorf('unterminated raw quoted string');
    if (r === 0x60) break;
  }
  return l.emit('rawString');
}
