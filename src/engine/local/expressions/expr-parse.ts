/**
 * The parser of expr.ts's expr-lang subset: tokens, then a syntax tree by precedence climbing (ternary, the binary
 * levels of BINARY, unary, postfix member access and calls, primaries). Throws ExpressionError naming the problem.
 */
import { ExpressionError } from '../errors.ts';
import { FUNCTIONS, PREDICATES } from './expr-functions.ts';

export type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'id'; name: string }
  | { k: 'member'; obj: Node; prop: Node }
  | { k: 'call'; fn: string; args: Node[] }
  | { k: 'method'; obj: Node; name: string; args: Node[] }
  | { k: 'unary'; op: string; arg: Node }
  | { k: 'binary'; op: string; left: Node; right: Node }
  | { k: 'cond'; test: Node; then: Node; else: Node }
  | { k: 'array'; items: Node[] }
  | { k: 'map'; entries: Array<[string, Node]> }
  | { k: 'elem' }
  | { k: 'pred'; fn: string; list: Node; body: Node };

const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|([A-Za-z_$][\w$]*)|(\?\?|==|!=|<=|>=|&&|\|\||[-+*/%<>!?:.,()[\]{}#]))/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    if (/^\s*$/.test(src.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (!m) throw new Error(`unexpected character at position ${at}: '${src.slice(at).trim()[0]}'`);
    out.push(m[1] ?? m[2] ?? m[3] ?? m[4]!);
  }
  return out;
}

/** Binary operators by precedence, loosest first. */
const BINARY: Array<string[]> = [
  ['??'],
  ['||', 'or'],
  ['&&', 'and'],
  ['==', '!=', '<', '>', '<=', '>=', 'matches', 'in', 'contains', 'startsWith', 'endsWith'],
  ['+', '-'],
  ['*', '/', '%'],
];

class Parser {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly tokens: string[],
  ) {}

  private peek(): string | undefined {
    return this.tokens[this.pos];
  }

  private next(): string | undefined {
    return this.tokens[this.pos++];
  }

  private fail(message: string): never {
    throw new ExpressionError(this.src, message);
  }

  private expect(t: string): void {
    const at = this.tokens[this.pos];
    if (at !== t) this.fail(`expected '${t}'${at ? ` before '${at}'` : ' at the end'}`);
    this.pos++;
  }

  /** Items separated by commas up to `close` (a trailing comma allowed), `close` consumed. */
  private listUntil<T>(close: string, item: () => T): T[] {
    const items: T[] = [];
    while (this.peek() !== close) {
      items.push(item());
      if (this.peek() === ',') this.pos++;
      else break;
    }
    this.expect(close);
    return items;
  }

  /** The whole expression; tokens left over are an error. */
  parse(): Node {
    const tree = this.ternary();
    if (this.pos < this.tokens.length) this.fail(`unexpected '${this.tokens[this.pos]}'`);
    return tree;
  }

  private ternary(): Node {
    const test = this.binary(0);
    if (this.peek() !== '?') return test;
    this.pos++;
    const then = this.ternary();
    this.expect(':');
    return { k: 'cond', test, then, else: this.ternary() };
  }

  private binary(level: number): Node {
    if (level === BINARY.length) return this.unary();
    let left = this.binary(level + 1);
    while (this.peek() !== undefined && BINARY[level]!.includes(this.peek()!)) {
      const op = this.next()!;
      left = { k: 'binary', op: op === 'or' ? '||' : op === 'and' ? '&&' : op, left, right: this.binary(level + 1) };
    }
    return left;
  }

  private unary(): Node {
    const t = this.peek();
    if (t === '!' || t === 'not' || t === '-') {
      this.pos++;
      return { k: 'unary', op: t === 'not' ? '!' : t, arg: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private primary(): Node {
    const t = this.next();
    if (t === undefined) this.fail('unexpected end of expression');
    if (t === '(') {
      const inner = this.ternary();
      this.expect(')');
      return inner;
    }
    if (t === '[') return { k: 'array', items: this.listUntil(']', () => this.ternary()) };
    if (t === '{') return { k: 'map', entries: this.listUntil('}', () => this.mapEntry()) };
    return this.atom(t);
  }

  private mapEntry(): [string, Node] {
    const key = this.next();
    if (key === undefined || !/^[\w$'"]/.test(key)) this.fail(`expected a map key${key ? ` before '${key}'` : ''}`);
    this.expect(':');
    return [/^['"]/.test(key) ? key.slice(1, -1) : key, this.ternary()];
  }

  /** A literal, `#` or a name (`sprig.fn` as one name). */
  private atom(t: string): Node {
    if (t === '#') return { k: 'elem' };
    if (/^\d/.test(t)) return { k: 'lit', v: Number(t) };
    if (/^['"]/.test(t)) return { k: 'lit', v: t.slice(1, -1).replace(/\\(.)/g, '$1') };
    if (t === 'true' || t === 'false') return { k: 'lit', v: t === 'true' };
    if (t === 'nil') return { k: 'lit', v: undefined };
    if (!/^[A-Za-z_$]/.test(t)) this.fail(`unexpected '${t}'`);
    if (t === 'sprig' && this.peek() === '.') {
      this.pos++;
      return { k: 'id', name: `sprig.${this.next() ?? ''}` };
    }
    return { k: 'id', name: t };
  }

  /** Member access (`.name`, `[expr]`) and calls after a primary. */
  private postfix(start: Node): Node {
    let node = start;
    for (;;) {
      const t = this.peek();
      if (t === '.') {
        this.pos++;
        const name = this.next();
        if (!name || !/^[A-Za-z_$]/.test(name)) this.fail(`expected a name after '.'`);
        node = { k: 'member', obj: node, prop: { k: 'lit', v: name } };
      } else if (t === '[') {
        this.pos++;
        node = { k: 'member', obj: node, prop: this.ternary() };
        this.expect(']');
      } else if (t === '(' && node.k === 'member' && node.prop.k === 'lit') {
        this.pos++;
        node = { k: 'method', obj: node.obj, name: String(node.prop.v), args: this.listUntil(')', () => this.ternary()) };
      } else if (t === '(' && node.k === 'id') {
        this.pos++;
        node = PREDICATES[node.name] ? this.predicate(node.name) : this.call(node.name);
      } else return node;
    }
  }

  /** `fn(list, body)` after `fn(`: the body is `#`'s closure, in braces unless it reads as a map literal. */
  private predicate(fn: string): Node {
    const list = this.ternary();
    this.expect(',');
    let body: Node;
    const mapLiteral = /^[\w$'"]/.test(this.tokens[this.pos + 1] ?? '') && this.tokens[this.pos + 2] === ':';
    if (this.peek() === '{' && !mapLiteral) {
      this.pos++;
      body = this.ternary();
      this.expect('}');
    } else body = this.ternary();
    this.expect(')');
    return { k: 'pred', fn, list, body };
  }

  /** `fn(args…)` after `fn(`; a function expr-functions.ts does not have is refused. */
  private call(fn: string): Node {
    const args = this.listUntil(')', () => this.ternary());
    if (!FUNCTIONS[fn])
      this.fail(`function ${fn}() is not supported by the local engine; use the Argo engine (ARGO_WORKFLOWS_SERVICE_URL)`);
    return { k: 'call', fn, args };
  }
}

/** Parses an expression; throws ExpressionError. */
export function parseExpression(src: string): Node {
  let tokens: string[];
  try {
    tokens = tokenize(src);
  } catch (err) {
    throw new ExpressionError(src, (err as Error).message);
  }
  return new Parser(src, tokens).parse();
}
