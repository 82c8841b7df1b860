/**
 * Filter expressions `[?(...)]` of jsonpath.ts, following github.com/evilmonkeyinc/jsonpath's script engine:
 * `|| && == != < > <= >= !`, parentheses, `@`/`$` paths, numbers, quoted strings, true/false/null.
 * Its value rules are Go's: operands are compared through their `%v` text; `== !=` compare numerically when both
 * sides read as numbers, else as strings (a path's string value and a quoted literal both count as `'text'`);
 * `< > <= >=` need numbers; `&& || !` need booleans (`1`/`0` and `t`/`f` count, as strconv.ParseBool).
 * Both sides are always evaluated, and any error (a missing key, a non-number in `<`) drops the element.
 * Arithmetic, `=~` and `in` are refused.
 */
import type { Step } from './jsonpath.ts';

export type FilterNode =
  | { k: 'or' | 'and'; left: FilterNode; right: FilterNode }
  | { k: 'cmp'; op: string; left: FilterNode; right: FilterNode }
  | { k: 'not'; arg: FilterNode }
  | { k: 'path'; steps: Step[] }
  | { k: 'lit'; text: string };

type Query = (steps: Step[], root: unknown, current: unknown) => unknown;

/** A filter that cannot decide for one element: the element is left out. */
class Undecided extends Error {}

const TOKEN =
  /\s*(?:(\|\||&&|==|!=|<=|>=|<|>|!|\(|\))|('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")|(-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|([A-Za-z_]\w*))/y;
const COMPARISONS = ['==', '!=', '<=', '>=', '<', '>'];

/** Parses the text inside `[?( )]`; throws Error naming the filter. */
export function parseFilter(src: string, parsePath: (path: string) => Step[]): FilterNode {
  const fail = (why: string): never => {
    throw new Error(`jsonpath filter '${src}': ${why}`);
  };
  const tokens: string[] = [];
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    while (/\s/.test(src[i]!)) i++;
    if (src[i] === '@' || src[i] === '$') {
      const end = pathEnd(src, i);
      tokens.push(src.slice(i, end));
      i = end;
      continue;
    }
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(src);
    if (!m) fail(`'${src.slice(i).trim()}' is not supported by the local engine (arithmetic, =~ and in are not)`);
    tokens.push(m![0].trim());
    i = TOKEN.lastIndex;
  }
  let pos = 0;
  const peek = () => tokens[pos];
  const or = (): FilterNode => {
    const left = and();
    return peek() === '||' ? (pos++, { k: 'or', left, right: or() }) : left;
  };
  const and = (): FilterNode => {
    const left = cmp();
    return peek() === '&&' ? (pos++, { k: 'and', left, right: and() }) : left;
  };
  const cmp = (): FilterNode => {
    let left = unary();
    while (COMPARISONS.includes(peek() ?? '')) {
      const op = tokens[pos++]!;
      left = { k: 'cmp', op, left, right: unary() };
    }
    return left;
  };
  const unary = (): FilterNode => {
    if (peek() === '!') {
      pos++;
      return { k: 'not', arg: unary() };
    }
    const t = tokens[pos++];
    if (t === undefined) return fail('unexpected end');
    if (t === '(') {
      const inner = or();
      if (tokens[pos++] !== ')') fail("missing ')'");
      return inner;
    }
    if (t[0] === '@' || t[0] === '$') return { k: 'path', steps: parsePath(t) };
    if (/^['"\d.\-A-Za-z_]/.test(t)) return { k: 'lit', text: t };
    return fail(`unexpected '${t}'`);
  };
  const tree = or();
  if (pos < tokens.length) fail(`unexpected '${tokens[pos]}'`);
  return tree;
}

/** Where a `@...`/`$...` path inside a filter ends: at an operator, space or unmatched ')' outside brackets and quotes. */
function pathEnd(src: string, start: number): number {
  let depth = 0;
  let quote = '';
  let i = start + 1;
  for (; i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
    // `-` ends a path too: the library reads `@.first-name` as a subtraction, never as a key.
    else if (depth === 0 && /[\s()=!<>&|+\-*/%]/.test(c)) break;
  }
  return i;
}

/** Whether `element` passes the filter (the library's truthiness of the result; errors leave it out). */
export function evaluateFilter(node: FilterNode, root: unknown, element: unknown, query: Query): boolean {
  let v: unknown;
  try {
    v = node.k === 'lit' ? bareLiteral(node.text) : evaluate(node, root, element, query);
  } catch (err) {
    if (err instanceof Undecided) return false;
    throw err;
  }
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return unquote(v) !== '';
  return Array.isArray(v) ? v.length > 0 : Object.keys(v as object).length > 0;
}

/** A filter that is a lone literal (`[?(true)]`) is read as null, a number, a boolean or else its text. */
function bareLiteral(text: string): unknown {
  if (text === 'nil' || text === 'null') return null;
  const n = goParseFloat(text);
  if (n !== undefined) return n;
  const b = goParseBool(text);
  return b !== undefined ? b : text;
}

function evaluate(node: FilterNode, root: unknown, current: unknown, query: Query): unknown {
  const arg = (n: FilterNode) => evaluate(n, root, current, query);
  switch (node.k) {
    case 'lit':
      // Literals stay raw text, quotes included, as the library keeps them; `null`/`nil` name its nil parameters.
      return node.text === 'null' || node.text === 'nil' ? null : node.text;
    case 'path': {
      let v: unknown;
      try {
        v = query(node.steps, root, current);
      } catch (err) {
        throw new Undecided((err as Error).message);
      }
      // The library hands string values on single-quoted, the form quoted literals are compared in.
      return typeof v === 'string' && !(v.length > 1 && v.startsWith("'") && v.endsWith("'")) ? `'${v}'` : v;
    }
    case 'not':
      return !toBoolean(arg(node.arg));
    case 'and':
    case 'or': {
      const l = toBoolean(arg(node.left));
      const r = toBoolean(arg(node.right));
      return node.k === 'and' ? l && r : l || r;
    }
    case 'cmp': {
      const l = arg(node.left);
      const r = arg(node.right);
      if (node.op === '==' || node.op === '!=') {
        const ln = goParseFloat(goText(l));
        const rn = goParseFloat(goText(r));
        const same = ln !== undefined && rn !== undefined ? ln === rn : toString(l) === toString(r);
        return node.op === '==' ? same : !same;
      }
      const a = toNumber(l);
      const b = toNumber(r);
      return node.op === '<' ? a < b : node.op === '>' ? a > b : node.op === '<=' ? a <= b : a >= b;
    }
  }
}

function toNumber(v: unknown): number {
  const n = goParseFloat(goText(v));
  if (n === undefined) throw new Undecided(`${goText(v)} is not a number`);
  return n;
}

function toBoolean(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  const b = goParseBool(goText(v));
  if (b === undefined) throw new Undecided(`${goText(v)} is not a boolean`);
  return b;
}

/** Strings compare single-quoted: a double-quoted literal is requoted, bare words stay as written. */
function toString(v: unknown): string {
  if (typeof v !== 'string' || v.length < 2) return goText(v);
  if (v.startsWith('"') && v.endsWith('"')) return `'${v.slice(1, -1)}'`;
  return v;
}

function unquote(s: string): string {
  return s.length > 1 && ((s.startsWith("'") && s.endsWith("'")) || (s.startsWith('"') && s.endsWith('"'))) ? s.slice(1, -1) : s;
}

/** Go's `fmt.Sprintf("%v", v)` for decoded JSON values. */
function goText(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goText).join(' ')}]`;
  const o = v as Record<string, unknown>;
  return `map[${Object.keys(o)
    .sort()
    .map((k) => `${k}:${goText(o[k])}`)
    .join(' ')}]`;
}

/** `%v` of a float64: shortest digits, exponent form below 1e-4 and from 1e21, at least two exponent digits. */
function goFloat(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const abs = Math.abs(n);
  if (abs === 0 || (abs >= 1e-4 && abs < 1e21)) return String(n);
  return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
}

/** strconv.ParseFloat (decimal forms, Inf, NaN); undefined when it fails. */
function goParseFloat(s: string): number | undefined {
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) return Number(s);
  if (/^[+-]?(?:inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  return undefined;
}

/** strconv.ParseBool; undefined when it fails. */
function goParseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}
