/**
 * DAG `depends` logic (SEMANTICS §6): `A && (B.Failed || !C.Skipped)`, parsed into a tree once and evaluated
 * when every referenced task is fulfilled. `dependencies: [A, B]` is `A && B`.
 */
import { DependsExpressionError } from '../errors.ts';

export type DependsExpr =
  | { kind: 'ref'; task: string; property?: string }
  | { kind: 'not'; operand: DependsExpr }
  | { kind: 'and' | 'or'; left: DependsExpr; right: DependsExpr };

const PROPERTIES = ['Succeeded', 'Failed', 'Errored', 'Skipped', 'Omitted', 'Daemoned', 'AnySucceeded', 'AllFailed'];

function tokenize(expr: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(&&|\|\||!|\(|\)|[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z]+)?)/y;
  let pos = 0;
  while (pos < expr.length) {
    if (/^\s*$/.test(expr.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(expr);
    if (!m) throw new DependsExpressionError(expr, `unexpected text at position ${pos}: '${expr.slice(pos).trim()}'`);
    const t = m[1]!;
    tokens.push(t === 'and' ? '&&' : t === 'or' ? '||' : t === 'not' ? '!' : t);
    pos = re.lastIndex;
  }
  return tokens;
}

/** Parses a depends expression; throws DependsExpressionError naming the problem. */
export function parseDepends(expr: string): DependsExpr {
  const tokens = tokenize(expr);
  let pos = 0;
  const fail = (why: string): never => {
    throw new DependsExpressionError(expr, why);
  };
  const primary = (): DependsExpr => {
    const t = tokens[pos++];
    if (t === undefined) return fail('unexpected end of expression');
    if (t === '!') return { kind: 'not', operand: primary() };
    if (t === '(') {
      const inner = or();
      if (tokens[pos++] !== ')') fail('missing closing parenthesis');
      return inner;
    }
    if (t === ')' || t === '&&' || t === '||') return fail(`unexpected '${t}'`);
    const dot = t.indexOf('.');
    if (dot < 0) return { kind: 'ref', task: t };
    const property = t.slice(dot + 1);
    if (!PROPERTIES.includes(property)) fail(`unknown task result '.${property}' (expected one of ${PROPERTIES.join(', ')})`);
    return { kind: 'ref', task: t.slice(0, dot), property };
  };
  const and = (): DependsExpr => {
    let left = primary();
    while (tokens[pos] === '&&') {
      pos++;
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  };
  const or = (): DependsExpr => {
    let left = and();
    while (tokens[pos] === '||') {
      pos++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const tree = or();
  if (pos < tokens.length) fail(`unexpected '${tokens[pos]}'`);
  return tree;
}

/** The task names an expression refers to. */
export function dependsTasks(expr: DependsExpr, into = new Set<string>()): Set<string> {
  if (expr.kind === 'ref') into.add(expr.task);
  else if (expr.kind === 'not') dependsTasks(expr.operand, into);
  else {
    dependsTasks(expr.left, into);
    dependsTasks(expr.right, into);
  }
  return into;
}

/** Evaluates the tree; `test(task, property)` answers one `task.Property` (bare refs pass property undefined). */
export function evaluateDepends(expr: DependsExpr, test: (task: string, property: string | undefined) => boolean): boolean {
  switch (expr.kind) {
    case 'ref':
      return test(expr.task, expr.property);
    case 'not':
      return !evaluateDepends(expr.operand, test);
    case 'and':
      return evaluateDepends(expr.left, test) && evaluateDepends(expr.right, test);
    case 'or':
      return evaluateDepends(expr.left, test) || evaluateDepends(expr.right, test);
  }
}
