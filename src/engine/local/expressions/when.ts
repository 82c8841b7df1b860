/**
 * `when` conditions, evaluated the way Argo's govaluate does after substitution (SEMANTICS §5):
 * bare identifiers are string literals, numerals are numbers; no JavaScript eval.
 */
import { WhenExpressionError } from '../errors.ts';

type Value = string | number | boolean;
type Token = { kind: 'num'; value: number } | { kind: 'str'; value: string } | { kind: 'op'; value: string };

const OPERATORS = ['==', '!=', '<=', '>=', '=~', '!~', '&&', '||', '<', '>', '!', '(', ')'];

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => expr.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', value: op });
      i += op.length;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      const end = expr.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unclosed string starting at ${i}`);
      tokens.push({ kind: 'str', value: expr.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const num = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(expr.slice(i));
    if (num && !/[A-Za-z_]/.test(expr[i + num[0].length] ?? '')) {
      tokens.push({ kind: 'num', value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(expr.slice(i));
    if (ident) {
      tokens.push({ kind: 'str', value: ident[0] });
      i += ident[0].length;
      continue;
    }
    throw new Error(`unexpected character '${c}' at position ${i}`);
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Value {
    const v = this.or();
    if (this.pos < this.tokens.length) throw new Error(`unexpected token '${String(this.tokens[this.pos]!.value)}'`);
    return v;
  }

  private peekOp(...ops: string[]): string | undefined {
    const t = this.tokens[this.pos];
    return t?.kind === 'op' && ops.includes(t.value) ? t.value : undefined;
  }

  private or(): Value {
    let left = this.and();
    while (this.peekOp('||')) {
      this.pos++;
      const right = this.and();
      left = asBool(left) || asBool(right);
    }
    return left;
  }

  private and(): Value {
    let left = this.comparison();
    while (this.peekOp('&&')) {
      this.pos++;
      const right = this.comparison();
      left = asBool(left) && asBool(right);
    }
    return left;
  }

  private comparison(): Value {
    const left = this.unary();
    const op = this.peekOp('==', '!=', '<', '>', '<=', '>=', '=~', '!~');
    if (!op) return left;
    this.pos++;
    return compare(op, left, this.unary());
  }

  private unary(): Value {
    if (this.peekOp('!')) {
      this.pos++;
      return !asBool(this.unary());
    }
    if (this.peekOp('(')) {
      this.pos++;
      const v = this.or();
      if (!this.peekOp(')')) throw new Error('missing closing parenthesis');
      this.pos++;
      return v;
    }
    const t = this.tokens[this.pos++];
    if (!t || t.kind === 'op') throw new Error(t ? `unexpected operator '${t.value}'` : 'unexpected end of expression');
    if (t.kind === 'str' && (t.value === 'true' || t.value === 'false')) return t.value === 'true';
    return t.value;
  }
}

function asBool(v: Value): boolean {
  if (typeof v !== 'boolean') throw new Error(`value '${String(v)}' cannot be used with logical operators`);
  return v;
}

function compare(op: string, a: Value, b: Value): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '=~':
    case '!~': {
      const matched = new RegExp(String(b)).test(String(a));
      return op === '=~' ? matched : !matched;
    }
  }
  if (typeof a !== typeof b || typeof a === 'boolean') throw new Error(`cannot compare '${String(a)}' ${op} '${String(b)}'`);
  if (op === '<') return a < b;
  if (op === '>') return a > b;
  if (op === '<=') return a <= b;
  return a >= b;
}

/** Evaluates a substituted `when` string; throws WhenExpressionError for bad syntax or a non-boolean result. */
export function evaluateWhen(expr: string): boolean {
  let value: Value;
  try {
    value = new Parser(tokenize(expr)).parse();
  } catch (err) {
    throw new WhenExpressionError(expr, (err as Error).message);
  }
  if (typeof value !== 'boolean') throw new WhenExpressionError(expr, `expected a boolean result, got '${String(value)}'`);
  return value;
}
