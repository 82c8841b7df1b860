/**
 * A small subset of expr-lang, the language of Argo's `{{= expr}}` tags and `valueFrom.expression`
 * (SEMANTICS §2): literals, member access (`a.b`, `a['b-c']`), `! not && and || or ?: ??`, comparisons,
 * arithmetic, `in`/`contains`/`startsWith`/`endsWith`, list and map literals, predicates over `#` (`filter(l, {# > 1})`,
 * map, all, any, none, one, count, find, findIndex) and the functions of expr-functions.ts. No eval.
 */
import { ExpressionError } from '../errors.ts';
import { FUNCTIONS, PREDICATES } from './expr-functions.ts';

type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'id'; name: string }
  | { k: 'member'; obj: Node; prop: Node }
  | { k: 'call'; fn: string; args: Node[] }
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

const BINARY: Array<string[]> = [
  ['??'],
  ['||', 'or'],
  ['&&', 'and'],
  ['==', '!=', '<', '>', '<=', '>=', 'matches', 'in', 'contains', 'startsWith', 'endsWith'],
  ['+', '-'],
  ['*', '/', '%'],
];

/** Parses an expression; throws ExpressionError. */
export function parseExpression(src: string): Node {
  let tokens: string[];
  try {
    tokens = tokenize(src);
  } catch (err) {
    throw new ExpressionError(src, (err as Error).message);
  }
  let pos = 0;
  const peek = () => tokens[pos];
  const expect = (t: string) => {
    if (tokens[pos] !== t) throw new ExpressionError(src, `expected '${t}'${tokens[pos] ? ` before '${tokens[pos]}'` : ' at the end'}`);
    pos++;
  };
  const ternary = (): Node => {
    const test = binary(0);
    if (peek() !== '?') return test;
    pos++;
    const then = ternary();
    expect(':');
    return { k: 'cond', test, then, else: ternary() };
  };
  const binary = (level: number): Node => {
    if (level === BINARY.length) return unary();
    let left = binary(level + 1);
    while (peek() !== undefined && BINARY[level]!.includes(peek()!)) {
      const op = tokens[pos++]!;
      left = { k: 'binary', op: op === 'or' ? '||' : op === 'and' ? '&&' : op, left, right: binary(level + 1) };
    }
    return left;
  };
  const unary = (): Node => {
    const t = peek();
    if (t === '!' || t === 'not' || t === '-') {
      pos++;
      return { k: 'unary', op: t === 'not' ? '!' : t, arg: unary() };
    }
    return postfix(primary());
  };
  const primary = (): Node => {
    const t = tokens[pos++];
    if (t === undefined) throw new ExpressionError(src, 'unexpected end of expression');
    if (t === '(') {
      const inner = ternary();
      expect(')');
      return inner;
    }
    if (t === '[') {
      const items: Node[] = [];
      while (peek() !== ']') {
        items.push(ternary());
        if (peek() === ',') pos++;
        else break;
      }
      expect(']');
      return { k: 'array', items };
    }
    if (t === '{') {
      const entries: Array<[string, Node]> = [];
      while (peek() !== '}') {
        const key = tokens[pos++];
        if (key === undefined || !/^[\w$'"]/.test(key))
          throw new ExpressionError(src, `expected a map key${key ? ` before '${key}'` : ''}`);
        expect(':');
        entries.push([/^['"]/.test(key) ? key.slice(1, -1) : key, ternary()]);
        if (peek() === ',') pos++;
        else break;
      }
      expect('}');
      return { k: 'map', entries };
    }
    if (t === '#') return { k: 'elem' };
    if (/^\d/.test(t)) return { k: 'lit', v: Number(t) };
    if (/^['"]/.test(t)) return { k: 'lit', v: t.slice(1, -1).replace(/\\(.)/g, '$1') };
    if (t === 'true' || t === 'false') return { k: 'lit', v: t === 'true' };
    if (t === 'nil') return { k: 'lit', v: undefined };
    if (/^[A-Za-z_$]/.test(t)) {
      if (t === 'sprig' && peek() === '.') {
        pos++;
        return { k: 'id', name: `sprig.${tokens[pos++] ?? ''}` };
      }
      return { k: 'id', name: t };
    }
    throw new ExpressionError(src, `unexpected '${t}'`);
  };
  const postfix = (node: Node): Node => {
    for (;;) {
      const t = peek();
      if (t === '.') {
        pos++;
        const name = tokens[pos++];
        if (!name || !/^[A-Za-z_$]/.test(name)) throw new ExpressionError(src, `expected a name after '.'`);
        node = { k: 'member', obj: node, prop: { k: 'lit', v: name } };
      } else if (t === '[') {
        pos++;
        node = { k: 'member', obj: node, prop: ternary() };
        expect(']');
      } else if (t === '(' && node.k === 'id' && PREDICATES[node.name]) {
        pos++;
        const items = ternary();
        expect(',');
        let body: Node;
        // `{ body }` is a closure unless it reads as a map literal (`{key: …}`).
        const mapLiteral = /^[\w$'"]/.test(tokens[pos + 1] ?? '') && tokens[pos + 2] === ':';
        if (peek() === '{' && !mapLiteral) {
          pos++;
          body = ternary();
          expect('}');
        } else body = ternary();
        expect(')');
        node = { k: 'pred', fn: node.name, list: items, body };
      } else if (t === '(' && node.k === 'id') {
        pos++;
        const args: Node[] = [];
        while (peek() !== ')') {
          args.push(ternary());
          if (peek() === ',') pos++;
          else break;
        }
        expect(')');
        if (!FUNCTIONS[node.name])
          throw new ExpressionError(
            src,
            `function ${node.name}() is not supported by the local engine; use the Argo engine (ARGO_WORKFLOWS_SERVICE_URL)`,
          );
        node = { k: 'call', fn: node.name, args };
      } else return node;
    }
  };
  const tree = ternary();
  if (pos < tokens.length) throw new ExpressionError(src, `unexpected '${tokens[pos]}'`);
  return tree;
}

/** Where a predicate's current element (`#`) lives in its environment (no identifier can collide). */
const ELEM = '#';

/** A variable that is not (yet) defined: the tag stays for a later pass, or fails the last one. */
class Unresolved extends Error {}

function evaluate(n: Node, env: Record<string, unknown>): unknown {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'id':
      if (!(n.name in env)) throw new Unresolved(n.name);
      return env[n.name];
    case 'array':
      return n.items.map((i) => evaluate(i, env));
    case 'map':
      return Object.fromEntries(n.entries.map(([k, v]) => [k, evaluate(v, env)]));
    case 'elem':
      if (!(ELEM in env)) throw new Error("'#' outside a predicate");
      return env[ELEM];
    case 'pred': {
      const items = evaluate(n.list, env);
      const list = Array.isArray(items) ? items : items && typeof items === 'object' ? Object.values(items) : [];
      return PREDICATES[n.fn]!(list, (item) => {
        const inner = Object.create(env) as Record<string, unknown>;
        inner[ELEM] = item;
        return evaluate(n.body, inner);
      });
    }
    case 'member': {
      const obj = evaluate(n.obj, env);
      const prop = evaluate(n.prop, env);
      if (obj === undefined || obj === null) throw new Unresolved(String(prop));
      return typeof obj === 'object' ? (obj as Record<string, unknown>)[String(prop)] : undefined;
    }
    case 'call':
      return FUNCTIONS[n.fn]!(...n.args.map((a) => evaluate(a, env)));
    case 'unary': {
      const v = evaluate(n.arg, env);
      return n.op === '!' ? !v : -Number(v);
    }
    case 'cond':
      return evaluate(n.test, env) ? evaluate(n.then, env) : evaluate(n.else, env);
    case 'binary': {
      if (n.op === '??') {
        try {
          const v = evaluate(n.left, env);
          if (v !== undefined && v !== null) return v;
        } catch (err) {
          if (!(err instanceof Unresolved)) throw err;
        }
        return evaluate(n.right, env);
      }
      const l = evaluate(n.left, env);
      if (n.op === '&&') return Boolean(l) && Boolean(evaluate(n.right, env));
      if (n.op === '||') return Boolean(l) || Boolean(evaluate(n.right, env));
      const r = evaluate(n.right, env);
      switch (n.op) {
        case '==':
          return l === r;
        case '!=':
          return l !== r;
        case '<':
          return (l as number) < (r as number);
        case '>':
          return (l as number) > (r as number);
        case '<=':
          return (l as number) <= (r as number);
        case '>=':
          return (l as number) >= (r as number);
        case 'matches':
          return new RegExp(String(r)).test(String(l));
        case 'in':
          return Array.isArray(r) ? r.includes(l) : r !== null && typeof r === 'object' ? String(l) in r : false;
        case 'contains':
          return String(l).includes(String(r));
        case 'startsWith':
          return String(l).startsWith(String(r));
        case 'endsWith':
          return String(l).endsWith(String(r));
        case '+':
          return typeof l === 'string' || typeof r === 'string' ? String(l) + String(r) : Number(l) + Number(r);
        case '-':
          return Number(l) - Number(r);
        case '*':
          return Number(l) * Number(r);
        case '/':
          return Number(l) / Number(r);
        default:
          return Number(l) % Number(r);
      }
    }
  }
}

/** Flat variables (`steps.a-b.outputs.result`) as the nested maps expressions read. */
export function nestVariables(flat: Iterable<[string, string]>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  // Shorter keys first, so `inputs.parameters` (JSON text) gives way to the map its children build.
  for (const [key, value] of [...flat].sort((a, b) => a[0].length - b[0].length)) {
    const parts = key.split('.');
    let obj = root;
    for (const part of parts.slice(0, -1)) {
      const next = obj[part];
      obj = obj[part] = next !== null && typeof next === 'object' ? (next as Record<string, unknown>) : {};
    }
    const last = parts[parts.length - 1]!;
    if (!(last in obj) || typeof obj[last] !== 'object') obj[last] = value;
  }
  return root;
}

/** Evaluates `src` over `env`; undefined when it reads a variable that is not defined; throws ExpressionError. */
export function evaluateExpression(src: string, env: Record<string, unknown>): unknown {
  const tree = parseExpression(src);
  try {
    return evaluate(tree, env);
  } catch (err) {
    if (err instanceof Unresolved) return undefined;
    throw new ExpressionError(src, (err as Error).message);
  }
}
