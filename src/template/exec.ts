/**
 * The executor of Go's text/template (exec.go): walks the parse tree with a
 * dot, variables and the function table, converting arguments and reporting
 * errors exactly where and how Go does ("template: name:1:5: executing
 * \"name\" at <.foo>: map has no entry for key \"foo\"").
 *
 * One deliberate difference: where Go would print a *data value* into an
 * error message, this prints only its type, because template data are secrets.
 *
 * Secret marks. Everything reached from the template's input data is marked
 * (see marks.ts), and the mark travels with the value through fields, index,
 * range elements, variables, pipelines and every function call (a result is
 * marked when any argument is). It lives here, in the executor, as a wrapper
 * around the value (`Marked`), so the ~200 functions never see it: they get
 * plain values, and their results are wrapped again. Errors use the mark:
 * a failing call with a marked argument keeps Go's prefix ("error calling
 * <fn>:") and withholds the function's own text, whatever transformations
 * the value went through on the way there.
 */
import { sprint } from './fmt.ts';
import { allocate, LimitExceeded, step } from './limits.ts';
import { errorContext, nodeString, type Node, type PipeNode, type Tree, type FieldNode, type ChainNode, type VariableNode, type IdentifierNode, type NumberNode, type BranchNode, type TemplateNode, type CommandNode } from './parse.ts';
import { quote } from './strconv.ts';
import { FAIL_WITHHELD, Marked, markSecret, unmark, WITHHELD, type Val } from './marks.ts';
import {
  assignable,
  canBeNil,
  GoInt,
  GoMap,
  GoSlice,
  GoStruct,
  GoTypeError,
  isFunc,
  kindOf,
  kindOfType,
  sortedKeys,
  truth,
  typeName,
  zeroValue,
  type GoFunc,
  type GoValue,
} from './values.ts';

export type MissingKey = 'default' | 'zero' | 'error';

/** An execution error, already formatted like Go's ExecError. */
export class ExecError extends Error {
  readonly templateName: string;
  readonly line: number | undefined;
  readonly col: number | undefined;
  readonly location: string | undefined;
  constructor(message: string, templateName: string, line?: number, col?: number, location?: string) {
    super(message);
    this.templateName = templateName;
    this.line = line;
    this.col = col;
    this.location = location;
  }
}

const MISSING: unique symbol = Symbol('missing');
type Final = Val | typeof MISSING;

/** Thrown to unwind to the enclosing range; never escapes the executor. */
class BreakSignal extends Error {}
class ContinueSignal extends Error {}
const breakSignal = new BreakSignal();
const continueSignal = new ContinueSignal();

export interface ExecEnv {
  trees: Map<string, Tree>;
  funcs: Map<string, GoFunc>;
  /** Names that are Go builtins (and/or/call are evaluated specially). */
  builtins: Set<string>;
  missingKey: MissingKey;
  maxOutputBytes: number;
  maxDepth: number;
}

interface Variable {
  name: string;
  value: Val;
}

export class Executor {
  private readonly env: ExecEnv;
  private tmplName: string;
  private node: Node | null = null;
  private vars: Variable[];
  private depth = 0;
  private readonly out: string[] = [];
  private outLen = 0;
  /**
   * Set once a function ran with a marked argument next to an unmarked map or
   * list: it may have put secret data into it (`set $d "k" .password`,
   * `merge $d .`), and the mark of a map cannot follow its later contents. From
   * then on every map and list counts as marked (conservative, never leaky).
   */
  private contaminated = false;

  constructor(env: ExecEnv, name: string, data: GoValue) {
    this.env = env;
    this.tmplName = name;
    this.vars = [{ name: '$', value: markSecret(data) }];
  }

  /** Renders `tree` with `data` as dot; the data (the store's values) is marked as secret. */
  run(tree: Tree | undefined, data: GoValue): string {
    if (tree === undefined) this.errorf(`${quote(this.tmplName)} is an incomplete or empty template`);
    this.walk(markSecret(data), tree.root);
    return this.out.join('');
  }

  /** Whether a value derives from the input data (see `contaminated`). */
  private marked(v: Val): boolean {
    return v instanceof Marked || (this.contaminated && (v instanceof GoMap || v instanceof GoSlice));
  }
  /** `v`, marked if `m`. */
  private withMark(v: GoValue, m: boolean): Val {
    return m ? markSecret(v) : v;
  }

  // --- errors ---
  errorf(msg: string): never {
    if (this.node === null) throw new ExecError(`template: ${this.tmplName}: ${msg}`, this.tmplName);
    const ctx = errorContext(this.node);
    throw new ExecError(
      `template: ${ctx.location}: executing ${quote(this.tmplName)} at <${ctx.context}>: ${msg}`,
      this.tmplName,
      ctx.line,
      ctx.col,
      ctx.location,
    );
  }

  private at(n: Node): void {
    this.node = n;
  }

  private write(s: string): void {
    if (s.length === 0) return;
    this.outLen += s.length;
    if (this.outLen > this.env.maxOutputBytes) {
      throw new LimitExceeded('output', `template output exceeded the limit of ${this.env.maxOutputBytes} bytes`);
    }
    this.out.push(s);
  }

  // --- variables ---
  private mark(): number {
    return this.vars.length;
  }
  private pop(mark: number): void {
    this.vars.length = mark;
  }
  private setVar(name: string, value: Val): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private setTopVar(n: number, value: Val): void {
    this.vars[this.vars.length - n]!.value = value;
  }
  private varValue(name: string): Val {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  // --- walking ---
  walk(dot: Val, node: Node): void {
    step();
    this.at(node);
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break':
        throw breakSignal;
      case 'continue':
        throw continueSignal;
      case 'comment':
        return;
      case 'if':
      case 'with':
        return this.walkIfOrWith(node, dot);
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range':
        return this.walkRange(dot, node);
      case 'template':
        return this.walkTemplate(dot, node);
      case 'text':
        this.write(node.text);
        return;
    }
    this.errorf(`unknown node: ${nodeString(node)}`);
  }

  private walkIfOrWith(node: BranchNode, dot: Val): void {
    const varMark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (truth(unmark(val))) this.walk(node.type === 'with' ? val : dot, node.list);
      else if (node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.pop(varMark);
    }
  }

  private walkRange(dot: Val, r: BranchNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      const pv = this.evalPipeline(dot, r.pipe);
      // Elements of marked data are marked; map keys and indexes are not: key names are
      // identifiers that messages may name (docs/security.md).
      const m = this.marked(pv);
      const val = unmark(pv);
      const varMark = this.mark();
      const oneIteration = (index: GoValue, rawElem: GoValue): boolean => {
        const elem = this.withMark(rawElem, m);
        step();
        const decl = r.pipe.decl;
        if (decl.length > 0) {
          if (r.pipe.isAssign) {
            if (decl.length > 1) this.setVar(decl[0]!.ident[0]!, index);
            else this.setVar(decl[0]!.ident[0]!, elem);
          } else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]!.ident[0]!, elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e === breakSignal) return false;
          if (e !== continueSignal) throw e;
        } finally {
          this.pop(varMark);
        }
        return true;
      };
      if (val instanceof GoInt) {
        if (r.pipe.decl.length > 1) this.errorf(`can't use ${describe(val, m)} to iterate over more than one variable`);
        if (val.v > 0n) {
          for (let i = 0n; i < val.v; i++) if (!oneIteration(null, new GoInt(val.type, i))) break;
          return;
        }
      } else if (val instanceof GoSlice) {
        if (val.items.length > 0) {
          const items = val.items;
          for (let i = 0; i < items.length; i++) if (!oneIteration(new GoInt('int', BigInt(i)), items[i] ?? null)) break;
          return;
        }
      } else if (val instanceof GoMap) {
        if (val.m.size > 0) {
          for (const k of sortedKeys(val)) if (!oneIteration(k, val.m.get(k) ?? null)) break;
          return;
        }
      } else if (val !== null) {
        this.errorf(`range can't iterate over ${describe(val, m)}`);
      }
      if (r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.pop(outer);
    }
  }

  private walkTemplate(dot: Val, t: TemplateNode): void {
    this.at(t);
    const tree = this.env.trees.get(t.name);
    if (tree === undefined) this.errorf(`template ${quote(t.name)} not defined`);
    if (this.depth >= this.env.maxDepth) this.errorf(`exceeded maximum template depth (${this.env.maxDepth})`);
    const newDot = t.pipe === null ? null : this.evalPipeline(dot, t.pipe);
    const saved = { name: this.tmplName, vars: this.vars, depth: this.depth };
    this.depth++;
    this.tmplName = tree.name;
    this.vars = [{ name: '$', value: newDot }];
    try {
      this.walk(newDot, tree.root);
    } finally {
      this.tmplName = saved.name;
      this.vars = saved.vars;
      this.depth = saved.depth;
    }
  }

  // --- evaluation ---
  evalPipeline(dot: Val, pipe: PipeNode | null): Val {
    if (pipe === null) return null;
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    const v = value === MISSING ? null : value;
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.setVar(variable.ident[0]!, v);
      else this.vars.push({ name: variable.ident[0]!, value: v });
    }
    return v;
  }

  private notAFunction(args: Node[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args[0]!)}`);
  }

  private evalCommand(dot: Val, cmd: CommandNode, final: Final): Val {
    step();
    const first = cmd.args[0]!;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.val;
      case 'dot':
        return dot;
      case 'nil':
        this.errorf('nil is not a command');
        break;
      case 'number':
        return this.idealConstant(first);
      case 'string':
        return first.text;
    }
    this.errorf(`can't evaluate command ${quote(nodeString(first))}`);
  }

  private idealConstant(c: NumberNode): GoValue {
    this.at(c);
    const isHexInt = c.text.length > 2 && c.text[0] === '0' && (c.text[1] === 'x' || c.text[1] === 'X') && !/[pP]/.test(c.text);
    const isRuneInt = c.text[0] === "'";
    if (c.isFloat && !isHexInt && !isRuneInt && /[.eEpP]/.test(c.text)) return c.float64;
    if (c.isInt) return new GoInt('int', c.int64);
    if (c.isUint) this.errorf(`${c.text} overflows int`);
    return null;
  }

  private evalFieldNode(dot: Val, field: FieldNode, args: Node[], final: Final): Val {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: Val, chain: ChainNode, args: Node[], final: Final): Val {
    this.at(chain);
    if (chain.field.length === 0) this.errorf('internal error: no fields in evalChainNode');
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, null, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: Val, v: VariableNode, args: Node[], final: Final): Val {
    this.at(v);
    const value = this.varValue(v.ident[0]!);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: Val, receiver: Val, node: Node, ident: string[], args: Node[], final: Final): Val {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(dot, ident[i]!, node, [], MISSING, receiver);
    return this.evalField(dot, ident[n - 1]!, node, args, final, receiver);
  }

  private evalFunction(dot: Val, node: IdentifierNode, cmd: Node, args: Node[], final: Final): Val {
    this.at(node);
    const name = node.ident;
    const f = this.env.funcs.get(name);
    if (f === undefined) this.errorf(`${quote(name)} is not a defined function`);
    return this.evalCall(dot, f, this.env.builtins.has(name), cmd, name, args, final, false);
  }

  /** A field, map entry or method of `rv`; what is reached from a marked receiver is marked. */
  private evalField(dot: Val, fieldName: string, node: Node, args: Node[], final: Final, rv: Val): Val {
    const m = this.marked(rv);
    const receiver = unmark(rv);
    if (receiver === null) {
      if (this.env.missingKey === 'error') this.errorf(`nil data; no entry for key ${quote(fieldName)}`);
      return null;
    }
    if (receiver instanceof GoStruct) {
      const method = receiver.methods.get(fieldName);
      if (method !== undefined) return this.evalCall(dot, method, false, node, fieldName, args, final, m);
    }
    const hasArgs = args.length > 1 || final !== MISSING;
    if (receiver instanceof GoStruct && receiver.fields.has(fieldName)) {
      if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
      return this.withMark(receiver.fields.get(fieldName) ?? null, m);
    }
    if (receiver instanceof GoMap && receiver.key === 'string') {
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      if (receiver.m.has(fieldName)) return this.withMark(receiver.m.get(fieldName) ?? null, m);
      switch (this.env.missingKey) {
        case 'default':
          return null;
        case 'zero':
          return zeroValue(receiver.elem);
        case 'error':
          this.errorf(`map has no entry for key ${quote(fieldName)}`);
      }
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${typeName(receiver)}`);
  }

  /**
   * A function call; `receiverMarked` is set for a method of a marked value.
   * The result is marked when any argument (or the receiver) is.
   */
  private evalCall(dot: Val, fun: GoFunc, isBuiltin: boolean, node: Node, name: string, argNodes: Node[], final: Final, receiverMarked: boolean): Val {
    step();
    const args = argNodes.slice(1);
    let numIn = args.length;
    if (final !== MISSING) numIn++;
    let numFixed = args.length;
    const nParams = fun.params.length + (fun.variadic !== undefined ? 1 : 0);
    if (fun.variadic !== undefined) {
      numFixed = fun.params.length;
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${args.length}`);
    } else if (numIn !== nParams) {
      this.errorf(`wrong number of args for ${name}: want ${nParams} got ${numIn}`);
    }

    if (isBuiltin && (name === 'and' || name === 'or')) {
      // The result is one of the arguments, chosen by the truth of those before it: marked if any
      // argument looked at was.
      let v: Val = null;
      let m = false;
      for (const arg of args) {
        v = this.evalArg(dot, 'reflect.Value', arg);
        m ||= this.marked(v);
        if (truth(unmark(v)) === (name === 'or')) return this.withMark(unmark(v), m);
      }
      if (final !== MISSING) {
        v = final;
        m ||= this.marked(v);
      }
      return this.withMark(unmark(v), m);
    }

    // Plain values for the function; the marks are summed up on the way (no second array).
    const argv: GoValue[] = [];
    let marked = receiverMarked;
    let plainContainer = false;
    const add = (a: Val): void => {
      if (this.marked(a)) marked = true;
      else if (a instanceof GoMap || a instanceof GoSlice) plainContainer = true;
      argv.push(unmark(a));
    };
    let i = 0;
    for (; i < numFixed && i < args.length; i++) add(this.evalArg(dot, fun.params[i]!, args[i]!));
    if (fun.variadic !== undefined) for (; i < args.length; i++) add(this.evalArg(dot, fun.variadic, args[i]!));
    if (final !== MISSING) {
      let t: string;
      if (fun.variadic !== undefined) t = numIn - 1 < numFixed ? fun.params[numIn - 1]! : fun.variadic;
      else t = fun.params[fun.params.length - 1]!;
      add(this.validateType(final, t));
    }
    // Before the call: it may change its arguments in place and then fail.
    if (marked && plainContainer) this.contaminated = true;

    if (isBuiltin && name === 'call') {
      const piped = final === MISSING ? null : unmark(final);
      const calleeName = args.length === 0 ? (typeof piped === 'string' ? piped : '') : nodeString(args[0]!);
      return this.withMark(this.callFunc(calleeName, argv[0] ?? null, argv.slice(1), node, name, marked), marked);
    }
    return this.withMark(this.invoke(fun, argv, node, name, marked), marked);
  }

  private invoke(fun: GoFunc, argv: GoValue[], node: Node, name: string, marked: boolean): GoValue {
    try {
      return fun.impl(...argv);
    } catch (e) {
      if (e instanceof LimitExceeded || e instanceof ExecError) throw e;
      if (e instanceof RangeError && /call stack/i.test(e.message)) throw e;
      this.at(node);
      // A function's own text may quote its arguments (or a piece, or a transformed form of one):
      // with a marked argument only Go's prefix stays. Texts that name only types are kept.
      if (marked && !(e instanceof GoTypeError)) this.errorf(`error calling ${name}: ${name === 'fail' ? FAIL_WITHHELD : WITHHELD}`);
      this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The `call` builtin: only function values can be called; data never holds any. */
  private callFunc(calleeName: string, fnv: GoValue, args: GoValue[], node: Node, name: string, marked: boolean): GoValue {
    const fail = (msg: string): never => {
      this.at(node);
      this.errorf(`error calling ${name}: ${msg}`);
    };
    if (fnv === null) fail('call of nil');
    if (!isFunc(fnv)) fail(`non-function ${calleeName} of type ${typeName(fnv)}`);
    const f = fnv as GoFunc;
    const numIn = f.params.length;
    if (f.variadic !== undefined) {
      if (args.length < numIn) fail(`wrong number of args for ${calleeName}: got ${args.length} want at least ${numIn}`);
    } else if (args.length !== numIn) fail(`wrong number of args for ${calleeName}: got ${args.length} want ${numIn}`);
    const argv = args.map((a, i) => {
      const t = i < numIn ? f.params[i]! : f.variadic!;
      if (a === null) {
        if (!canBeNil(t)) fail(`arg ${i}: value is nil; should be of type ${t}`);
        return zeroValue(t);
      }
      if (assignable(a, t)) return a;
      if (a instanceof GoInt && (kindOfType(t) === 'int' || kindOfType(t) === 'uint')) return new GoInt(t, a.v);
      return fail(`arg ${i}: value has type ${typeName(a)}; should be ${t}`);
    });
    return this.invoke(f, argv, node, name, marked);
  }

  validateType(value: Val, typ: string | null): Val {
    const v = unmark(value);
    if (v === null) {
      if (typ === null || typ === 'reflect.Value') return value;
      if (canBeNil(typ)) return this.withMark(zeroValue(typ), this.marked(value));
      this.errorf(`invalid value; expected ${typ}`);
    }
    if (typ !== null && !assignable(v, typ)) {
      this.errorf(`wrong type for value; expected ${typ}; got ${typeName(v)}`);
    }
    return value;
  }

  private evalArg(dot: Val, typ: string | null, n: Node): Val {
    this.at(n);
    switch (n.type) {
      case 'dot':
        return this.validateType(dot, typ);
      case 'nil':
        if (typ === null || canBeNil(typ)) return typ === null ? null : zeroValue(typ);
        this.errorf(`cannot assign nil to ${typ}`);
        break;
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, [], MISSING), typ);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, [], MISSING), typ);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, [], MISSING), typ);
    }
    const k = typ === null ? 'invalid' : kindOfType(typ);
    if (typ === null || typ === 'interface {}' || typ === 'reflect.Value') return this.evalEmptyInterface(dot, n);
    switch (k) {
      case 'bool':
        if (n.type === 'bool') return n.val;
        this.errorf(`expected bool; found ${nodeString(n)}`);
        break;
      case 'float':
        if (n.type === 'number' && n.isFloat) return n.float64;
        this.errorf(`expected float; found ${nodeString(n)}`);
        break;
      case 'int':
        if (n.type === 'number' && n.isInt) return new GoInt(typ, n.int64);
        this.errorf(`expected integer; found ${nodeString(n)}`);
        break;
      case 'uint':
        if (n.type === 'number' && n.isUint) return new GoInt(typ, n.uint64);
        this.errorf(`expected unsigned integer; found ${nodeString(n)}`);
        break;
      case 'string':
        if (n.type === 'string') return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
    }
    this.errorf(`can't handle ${nodeString(n)} for arg of type ${typ}`);
  }

  private evalEmptyInterface(dot: Val, n: Node): Val {
    this.at(n);
    switch (n.type) {
      case 'bool':
        return n.val;
      case 'dot':
        return dot;
      case 'field':
        return this.evalFieldNode(dot, n, [], MISSING);
      case 'identifier':
        return this.evalFunction(dot, n, n, [], MISSING);
      case 'nil':
        this.errorf("evalEmptyInterface: nil (can't happen)");
        break;
      case 'number':
        return this.idealConstant(n);
      case 'string':
        return n.text;
      case 'variable':
        return this.evalVariableNode(dot, n, [], MISSING);
      case 'pipe':
        return this.evalPipeline(dot, n);
    }
    this.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
  }

  private printValue(n: Node, val: Val): void {
    this.at(n);
    const v = unmark(val);
    if (v === null) {
      this.write('<no value>');
      return;
    }
    if (isFunc(v)) this.errorf(`can't print ${nodeString(n)} of type ${typeName(v)}`);
    const s = sprint([v]);
    allocate(s.length);
    this.write(s);
  }
}

/**
 * How an error message names a data value: numbers and booleans as Go prints
 * them, anything else (and anything marked as secret) by its type only.
 */
export function describe(v: GoValue, marked = false): string {
  if (v === null) return '<nil>';
  const k = kindOf(v);
  if (!marked && (k === 'int' || k === 'uint' || k === 'bool' || k === 'float')) return sprint([v]);
  return `<value of type ${typeName(v)}>`;
}
