/**
 * The parser of Go's text/template/parse: the same grammar, the same node
 * tree, the same String() forms (used in error contexts) and the same parse
 * error messages ("template: name:3: unexpected ...").
 */
import { itemString, Lexer, type Item, type ItemType } from './lex.ts';
import { parseFloatGo, parseIntGo, quote, unquote, unquoteChar } from './strconv.ts';

/** What every node of one Parse call shares: the text and the name used in messages. */
export interface Source {
  parseName: string;
  text: string;
}

interface Base {
  pos: number;
  src: Source;
}
export interface TextNode extends Base {
  type: 'text';
  text: string;
}
export interface CommentNode extends Base {
  type: 'comment';
  text: string;
}
export interface ListNode extends Base {
  type: 'list';
  nodes: Node[];
}
export interface ActionNode extends Base {
  type: 'action';
  line: number;
  pipe: PipeNode;
}
export interface PipeNode extends Base {
  type: 'pipe';
  line: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}
export interface CommandNode extends Base {
  type: 'command';
  args: Node[];
}
export interface IdentifierNode extends Base {
  type: 'identifier';
  ident: string;
}
export interface VariableNode extends Base {
  type: 'variable';
  ident: string[];
}
export interface DotNode extends Base {
  type: 'dot';
}
export interface NilNode extends Base {
  type: 'nil';
}
export interface FieldNode extends Base {
  type: 'field';
  ident: string[];
}
export interface ChainNode extends Base {
  type: 'chain';
  node: Node;
  field: string[];
}
export interface BoolNode extends Base {
  type: 'bool';
  val: boolean;
}
export interface NumberNode extends Base {
  type: 'number';
  text: string;
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  int64: bigint;
  uint64: bigint;
  float64: number;
}
export interface StringNode extends Base {
  type: 'string';
  quoted: string;
  text: string;
}
export interface BranchNode extends Base {
  type: 'if' | 'range' | 'with';
  line: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | null;
}
export interface TemplateNode extends Base {
  type: 'template';
  line: number;
  name: string;
  pipe: PipeNode | null;
}
export interface BreakNode extends Base {
  type: 'break' | 'continue';
  line: number;
}
interface EndNode extends Base {
  type: 'end';
}
interface ElseNode extends Base {
  type: 'else';
  line: number;
}

export type Node =
  | TextNode
  | CommentNode
  | ListNode
  | ActionNode
  | PipeNode
  | CommandNode
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | BranchNode
  | TemplateNode
  | BreakNode
  | EndNode
  | ElseNode;

export interface Tree {
  name: string;
  root: ListNode;
  src: Source;
}

/** Thrown for parse errors; message is Go's full text. */
export class ParseError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.line = line;
  }
}

/** Node.String() as Go writes it. */
export function nodeString(n: Node): string {
  switch (n.type) {
    case 'text':
      return quoteText(n.text);
    case 'comment':
      return '{{' + n.text + '}}';
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'action':
      return '{{' + nodeString(n.pipe) + '}}';
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s = n.decl.map(nodeString).join(', ') + (n.isAssign ? ' = ' : ' := ');
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? '(' + nodeString(a) + ')' : nodeString(a))).join(' ');
    case 'identifier':
      return n.ident;
    case 'variable':
      return n.ident.join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'field':
      return n.ident.map((id) => '.' + id).join('');
    case 'chain': {
      const inner = n.node.type === 'pipe' ? '(' + nodeString(n.node) + ')' : nodeString(n.node);
      return inner + n.field.map((f) => '.' + f).join('');
    }
    case 'bool':
      return n.val ? 'true' : 'false';
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'if':
    case 'range':
    case 'with': {
      let s = '{{' + n.type + ' ' + nodeString(n.pipe) + '}}' + nodeString(n.list);
      if (n.elseList) s += '{{else}}' + nodeString(n.elseList);
      return s + '{{end}}';
    }
    case 'template':
      return n.pipe ? `{{template ${quote(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${quote(n.name)}}}`;
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'end':
      return '{{end}}';
    case 'else':
      return '{{else}}';
  }
}

function quoteText(s: string): string {
  // TextNode uses %q on at most... Go: fmt.Sprintf(textFormat, t.Text) with textFormat "%s".
  return s;
}

/** (line, column) of a node, as Go's ErrorContext computes them. */
export function errorContext(n: Node): { location: string; context: string; line: number; col: number } {
  const text = n.src.text.slice(0, n.pos);
  const nl = text.lastIndexOf('\n');
  const col = nl === -1 ? n.pos : n.pos - (nl + 1);
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) line++;
  return { location: `${n.src.parseName}:${line}:${col}`, context: nodeString(n), line, col };
}

function isEmptyTree(n: Node | null): boolean {
  if (n === null) return true;
  switch (n.type) {
    case 'comment':
      return true;
    case 'list':
      return n.nodes.every(isEmptyTree);
    case 'text':
      return n.text.replace(/^[ \t\n\v\f\r\x85\xa0]+|[ \t\n\v\f\r\x85\xa0]+$/g, '').length === 0;
  }
  return false;
}

const maxStackDepth = 10000;

class TreeParser {
  name: string;
  readonly src: Source;
  root: ListNode | null = null;
  private lex!: Lexer;
  private token: Item[] = [];
  private peekCount = 0;
  private vars: string[] = ['$'];
  private treeSet!: Map<string, Tree>;
  private actionLine = 0;
  private rangeDepth = 0;
  private stackDepth = 0;
  private hasFunction!: (name: string) => boolean;

  constructor(name: string, src: Source) {
    this.name = name;
    this.src = src;
  }

  startParse(hasFunction: (name: string) => boolean, lex: Lexer, treeSet: Map<string, Tree>): void {
    this.root = null;
    this.lex = lex;
    this.vars = ['$'];
    this.hasFunction = hasFunction;
    this.treeSet = treeSet;
    this.stackDepth = 0;
    lex.options = { breakOK: !hasFunction('break'), continueOK: !hasFunction('continue') };
  }

  errorf(msg: string): never {
    this.root = null;
    const line = this.token[0]?.line ?? 1;
    throw new ParseError(`template: ${this.src.parseName}:${line}: ${msg}`, line);
  }

  next(): Item {
    if (this.peekCount > 0) this.peekCount--;
    else this.token[0] = this.lex.nextItem();
    return this.token[this.peekCount]!;
  }
  backup(): void {
    this.peekCount++;
  }
  backup2(t1: Item): void {
    this.token[1] = t1;
    this.peekCount = 2;
  }
  backup3(t2: Item, t1: Item): void {
    this.token[1] = t1;
    this.token[2] = t2;
    this.peekCount = 3;
  }
  peek(): Item {
    if (this.peekCount > 0) return this.token[this.peekCount - 1]!;
    this.peekCount = 1;
    this.token[0] = this.lex.nextItem();
    return this.token[0];
  }
  nextNonSpace(): Item {
    let t: Item;
    do t = this.next();
    while (t.typ === 'space');
    return t;
  }
  peekNonSpace(): Item {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }
  expect(expected: ItemType, context: string): Item {
    const t = this.nextNonSpace();
    if (t.typ !== expected) this.unexpected(t, context);
    return t;
  }
  expectOneOf(e1: ItemType, e2: ItemType, context: string): Item {
    const t = this.nextNonSpace();
    if (t.typ !== e1 && t.typ !== e2) this.unexpected(t, context);
    return t;
  }
  unexpected(token: Item, context: string): never {
    if (token.typ === 'error') {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at ${this.src.parseName}:${this.actionLine}`;
        if (token.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(`${itemString(token)}${extra}`);
    }
    this.errorf(`unexpected ${itemString(token)} in ${context}`);
  }

  add(): void {
    const tree = this.treeSet.get(this.name);
    if (tree === undefined || isEmptyTree(tree.root)) {
      this.treeSet.set(this.name, { name: this.name, root: this.root!, src: this.src });
      return;
    }
    if (!isEmptyTree(this.root)) this.errorf(`template: multiple definition of template ${quote(this.name)}`);
  }

  parse(): void {
    this.root = this.newList(this.peek().pos);
    while (this.peek().typ !== 'EOF') {
      if (this.peek().typ === 'leftDelim') {
        const delim = this.next();
        if (this.nextNonSpace().typ === 'define') {
          const newT = new TreeParser('definition', this.src);
          newT.startParse(this.hasFunction, this.lex, this.treeSet);
          newT.parseDefinition();
          continue;
        }
        this.backup2(delim);
      }
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      this.root.nodes.push(n);
    }
  }

  parseDefinition(): void {
    const context = 'define clause';
    const name = this.expectOneOf('string', 'rawString', context);
    try {
      this.name = unquote(name.val);
    } catch {
      this.errorf('invalid syntax');
    }
    this.expect('rightDelim', context);
    const [list, end] = this.itemList();
    this.root = list;
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.add();
  }

  itemList(): [ListNode, Node] {
    const list = this.newList(this.peekNonSpace().pos);
    while (this.peekNonSpace().typ !== 'EOF') {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  textOrAction(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case 'text':
        return { type: 'text', pos: token.pos, src: this.src, text: token.val };
      case 'leftDelim': {
        this.actionLine = token.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      }
      case 'comment':
        return { type: 'comment', pos: token.pos, src: this.src, text: token.val };
    }
    this.unexpected(token, 'input');
  }

  action(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case 'block':
        return this.blockControl();
      case 'break':
        return this.branchControl('break', token);
      case 'continue':
        return this.branchControl('continue', token);
      case 'else':
        return this.elseControl();
      case 'end':
        return { type: 'end', pos: this.expect('rightDelim', 'end').pos, src: this.src };
      case 'if':
        return this.newBranch('if', this.parseControl('if'));
      case 'range':
        return this.newBranch('range', this.parseControl('range'));
      case 'template':
        return this.templateControl();
      case 'with':
        return this.newBranch('with', this.parseControl('with'));
    }
    this.backup();
    const t = this.peek();
    return { type: 'action', pos: t.pos, line: t.line, src: this.src, pipe: this.pipeline('command', 'rightDelim') };
  }

  branchControl(kind: 'break' | 'continue', tok: Item): Node {
    const t = this.nextNonSpace();
    if (t.typ !== 'rightDelim') this.unexpected(t, `{{${kind}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${kind}}} outside {{range}}`);
    return { type: kind, pos: tok.pos, line: tok.line, src: this.src };
  }

  pipeline(context: string, end: ItemType): PipeNode {
    const token = this.peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: token.pos, line: token.line, src: this.src, isAssign: false, decl: [], cmds: [] };
    decls: for (;;) {
      const v = this.peekNonSpace();
      if (v.typ === 'variable') {
        this.next();
        const tokenAfterVariable = this.peek();
        const next = this.peekNonSpace();
        if (next.typ === 'assign' || next.typ === 'declare') {
          pipe.isAssign = next.typ === 'assign';
          this.nextNonSpace();
          pipe.decl.push(this.newVariable(v.pos, v.val));
          this.vars.push(v.val);
        } else if (next.typ === 'char' && next.val === ',') {
          this.nextNonSpace();
          pipe.decl.push(this.newVariable(v.pos, v.val));
          this.vars.push(v.val);
          if (context === 'range' && pipe.decl.length < 2) {
            const pk = this.peekNonSpace().typ;
            if (pk === 'variable' || pk === 'rightDelim' || pk === 'rightParen') continue decls;
            this.errorf('range can only initialize variables');
          }
          this.errorf(`too many declarations in ${context}`);
        } else if (tokenAfterVariable.typ === 'space') {
          this.backup3(v, tokenAfterVariable);
        } else {
          this.backup2(v);
        }
      }
      break;
    }
    for (;;) {
      const token = this.nextNonSpace();
      switch (token.typ) {
        case end:
          this.checkPipeline(pipe, context);
          return pipe;
        case 'bool':
        case 'charConstant':
        case 'complex':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(token, context);
      }
    }
  }

  checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const t = c.args[0]!.type;
      if (t === 'bool' || t === 'dot' || t === 'nil' || t === 'number' || t === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  parseControl(context: string): [number, number, PipeNode, ListNode, ListNode | null] {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.rangeDepth++;
      const [list, first] = this.itemList();
      let next = first;
      if (context === 'range') this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (next.type === 'else') {
        if (context === 'if' && this.peek().typ === 'if') {
          this.next();
          elseList = this.newList(next.pos);
          elseList.nodes.push(this.newBranch('if', this.parseControl('if')));
        } else if (context === 'with' && this.peek().typ === 'with') {
          this.next();
          elseList = this.newList(next.pos);
          elseList.nodes.push(this.newBranch('with', this.parseControl('with')));
        } else {
          [elseList, next] = this.itemList();
          if (next.type !== 'end') this.errorf(`expected end; found ${nodeString(next)}`);
        }
      }
      return [pipe.pos, pipe.line, pipe, list, elseList];
    } finally {
      this.vars.length = mark;
    }
  }

  newBranch(type: 'if' | 'range' | 'with', c: [number, number, PipeNode, ListNode, ListNode | null]): BranchNode {
    return { type, pos: c[0], line: c[1], src: this.src, pipe: c[2], list: c[3], elseList: c[4] };
  }

  elseControl(): Node {
    const peek = this.peekNonSpace();
    if (peek.typ === 'if' || peek.typ === 'with') return { type: 'else', pos: peek.pos, line: peek.line, src: this.src };
    const token = this.expect('rightDelim', 'else');
    return { type: 'else', pos: token.pos, line: token.line, src: this.src };
  }

  blockControl(): Node {
    const context = 'block clause';
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    const pipe = this.pipeline(context, 'rightDelim');
    const block = new TreeParser(name, this.src);
    block.startParse(this.hasFunction, this.lex, this.treeSet);
    const [list, end] = block.itemList();
    block.root = list;
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    block.add();
    return { type: 'template', pos: token.pos, line: token.line, src: this.src, name, pipe };
  }

  templateControl(): Node {
    const context = 'template clause';
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().typ !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { type: 'template', pos: token.pos, line: token.line, src: this.src, name, pipe };
  }

  parseTemplateName(token: Item, context: string): string {
    if (token.typ === 'string' || token.typ === 'rawString') {
      try {
        return unquote(token.val);
      } catch {
        this.errorf('invalid syntax');
      }
    }
    this.unexpected(token, context);
  }

  command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, src: this.src, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand !== null) cmd.args.push(operand);
      const token = this.next();
      if (token.typ === 'space') continue;
      if (token.typ === 'rightDelim' || token.typ === 'rightParen') this.backup();
      else if (token.typ !== 'pipe') this.unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  operand(): Node | null {
    let node = this.term();
    if (node === null) return null;
    if (this.peek().typ === 'field') {
      const chain: ChainNode = { type: 'chain', pos: this.peek().pos, src: this.src, node, field: [] };
      while (this.peek().typ === 'field') {
        const val = this.next().val;
        chain.field.push(val.slice(1));
      }
      switch (node.type) {
        case 'field':
          node = { type: 'field', pos: chain.pos, src: this.src, ident: nodeString(chain).split('.').slice(1) };
          break;
        case 'variable':
          node = this.newVariable(chain.pos, nodeString(chain));
          break;
        case 'bool':
        case 'string':
        case 'number':
        case 'nil':
        case 'dot':
          this.errorf(`unexpected . after term ${quote(nodeString(node))}`);
          break;
        default:
          node = chain;
      }
    }
    return node;
  }

  term(): Node | null {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case 'identifier':
        if (!this.hasFunction(token.val)) this.errorf(`function ${quote(token.val)} not defined`);
        return { type: 'identifier', pos: token.pos, src: this.src, ident: token.val };
      case 'dot':
        return { type: 'dot', pos: token.pos, src: this.src };
      case 'nil':
        return { type: 'nil', pos: token.pos, src: this.src };
      case 'variable':
        return this.useVar(token.pos, token.val);
      case 'field':
        return { type: 'field', pos: token.pos, src: this.src, ident: token.val.split('.').slice(1) };
      case 'bool':
        return { type: 'bool', pos: token.pos, src: this.src, val: token.val === 'true' };
      case 'charConstant':
      case 'complex':
      case 'number':
        return this.newNumber(token);
      case 'leftParen': {
        if (this.stackDepth >= maxStackDepth) this.errorf('max expression depth exceeded');
        this.stackDepth++;
        try {
          return this.pipeline('parenthesized pipeline', 'rightParen');
        } finally {
          this.stackDepth--;
        }
      }
      case 'string':
      case 'rawString': {
        let s: string;
        try {
          s = unquote(token.val);
        } catch {
          this.errorf('invalid syntax');
        }
        return { type: 'string', pos: token.pos, src: this.src, quoted: token.val, text: s };
      }
    }
    this.backup();
    return null;
  }

  newNumber(token: Item): NumberNode {
    const text = token.val;
    const n: NumberNode = {
      type: 'number',
      pos: token.pos,
      src: this.src,
      text,
      isInt: false,
      isUint: false,
      isFloat: false,
      int64: 0n,
      uint64: 0n,
      float64: 0,
    };
    if (token.typ === 'charConstant') {
      let r: number;
      let next: number;
      try {
        [r, , next] = unquoteChar(text, 1, 0x27);
      } catch {
        this.errorf('invalid syntax');
      }
      if (text.slice(next) !== "'") this.errorf(`malformed character constant: ${text}`);
      n.int64 = BigInt(r);
      n.uint64 = BigInt(r);
      n.float64 = r;
      n.isInt = n.isUint = n.isFloat = true;
      return n;
    }
    if (token.typ === 'complex' || text.endsWith('i')) {
      // Complex constants are valid Go but meaningless for Secrets; refuse them clearly.
      this.errorf(`complex constants are not supported: ${quote(text)}`);
    }
    const u = parseIntGo(text, 0, 64, true);
    if (typeof u === 'bigint') {
      n.isUint = true;
      n.uint64 = u;
    }
    const i = parseIntGo(text, 0, 64, false);
    if (typeof i === 'bigint') {
      n.isInt = true;
      n.int64 = i;
      if (i === 0n) {
        n.isUint = true;
        n.uint64 = typeof u === 'bigint' ? u : 0n;
      }
    }
    if (n.isInt) {
      n.isFloat = true;
      n.float64 = Number(n.int64);
    } else if (n.isUint) {
      n.isFloat = true;
      n.float64 = Number(n.uint64);
    } else {
      const f = parseFloatGo(text, true);
      if (f !== undefined && Number.isFinite(f)) {
        if (!/[.eEpP]/.test(text)) this.errorf(`integer overflow: ${quote(text)}`);
        n.isFloat = true;
        n.float64 = f;
        if (Number.isInteger(f) && Math.abs(f) < 2 ** 63) {
          n.isInt = true;
          n.int64 = BigInt(f);
        }
        if (Number.isInteger(f) && f >= 0 && f < 2 ** 64) {
          n.isUint = true;
          n.uint64 = BigInt(f);
        }
      } else if (f !== undefined && !/[.eEpP]/.test(text)) {
        this.errorf(`integer overflow: ${quote(text)}`);
      } else if (f !== undefined) {
        // Go: ParseFloat fails with ErrRange on overflow.
        this.errorf(`strconv.ParseFloat: parsing ${quote(text)}: value out of range`);
      }
    }
    if (!n.isInt && !n.isUint && !n.isFloat) this.errorf(`illegal number syntax: ${quote(text)}`);
    return n;
  }

  useVar(pos: number, name: string): VariableNode {
    const v = this.newVariable(pos, name);
    if (!this.vars.includes(v.ident[0]!)) this.errorf(`undefined variable ${quote(v.ident[0]!)}`);
    return v;
  }

  newVariable(pos: number, name: string): VariableNode {
    return { type: 'variable', pos, src: this.src, ident: name.split('.') };
  }

  newList(pos: number): ListNode {
    return { type: 'list', pos, src: this.src, nodes: [] };
  }
}

export interface ParseOptions {
  leftDelim?: string;
  rightDelim?: string;
  hasFunction: (name: string) => boolean;
}

/**
 * Parses one template text into its tree set (the main template plus every
 * {{define}} and {{block}}), as parse.Parse does. `text` is a byte string.
 */
export function parseTrees(name: string, text: string, opts: ParseOptions, treeSet: Map<string, Tree> = new Map()): Map<string, Tree> {
  const src: Source = { parseName: name, text };
  const t = new TreeParser(name, src);
  const lex = new Lexer(text, opts.leftDelim ?? '', opts.rightDelim ?? '');
  t.startParse(opts.hasFunction, lex, treeSet);
  t.parse();
  t.add();
  return treeSet;
}
