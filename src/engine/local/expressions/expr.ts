/**
 * A small subset of expr-lang, the language of Argo's `{{= expr}}` tags and `valueFrom.expression`
 * (SEMANTICS §2): literals, member access (`a.b`, `a['b-c']`), `! not && and || or ?: ??`, comparisons,
 * arithmetic, `in`/`contains`/`startsWith`/`endsWith`, list and map literals, predicates over `#` (`filter(l, {# > 1})`,
 * map, all, any, none, one, count, find, findIndex) and the functions of expr-functions.ts. No eval. The parser is
 * expr-parse.ts; this file evaluates its tree.
 */
import { ExpressionError } from '../errors.ts';
import { FUNCTIONS, PREDICATES } from './expr-functions.ts';
import { parseExpression, type Node } from './expr-parse.ts';
import { callMethod, timeOp } from './expr-time.ts';

export { parseExpression };

/** Where a predicate's current element (`#`) lives in its environment (no identifier can collide). */
const ELEM = '#';

/** Where an environment may keep the clock `now()` reads (a CronWorkflow's controller clock); else the time now. */
export const CLOCK = '#now';

/** A variable that is not (yet) defined: the tag stays for a later pass, or fails the last one. */
class Unresolved extends Error {}

/** A binary operator other than `??`, `&&` and `||` (which evaluate their right side only when needed). */
function binaryOp(op: string, l: unknown, r: unknown): unknown {
  const timed = timeOp(op, l, r);
  if (timed) return timed.value;
  switch (op) {
    case '==':
      return l === r || (l == null && r == null);
    case '!=':
      return !(l === r || (l == null && r == null));
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

function evaluateBinary(n: Extract<Node, { k: 'binary' }>, env: Record<string, unknown>): unknown {
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
  return binaryOp(n.op, l, evaluate(n.right, env));
}

/** `fn(list, body)`: the body evaluated with `#` bound to each item (a map's values for a map). */
function evaluatePredicate(n: Extract<Node, { k: 'pred' }>, env: Record<string, unknown>): unknown {
  const items = evaluate(n.list, env);
  const list = Array.isArray(items) ? items : items && typeof items === 'object' ? Object.values(items) : [];
  return PREDICATES[n.fn]!(list, (item) => {
    const inner = Object.create(env) as Record<string, unknown>;
    inner[ELEM] = item;
    return evaluate(n.body, inner);
  });
}

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
    case 'pred':
      return evaluatePredicate(n, env);
    case 'member': {
      const obj = evaluate(n.obj, env);
      const prop = evaluate(n.prop, env);
      if (obj === undefined || obj === null) throw new Unresolved(String(prop));
      return typeof obj === 'object' ? (obj as Record<string, unknown>)[String(prop)] : undefined;
    }
    case 'call':
      if (n.fn === 'now' && typeof env[CLOCK] === 'function') return (env[CLOCK] as () => Date)();
      return FUNCTIONS[n.fn]!(...n.args.map((a) => evaluate(a, env)));
    case 'method':
      return callMethod(
        evaluate(n.obj, env),
        n.name,
        n.args.map((a) => evaluate(a, env)),
      );
    case 'unary': {
      const v = evaluate(n.arg, env);
      return n.op === '!' ? !v : -Number(v);
    }
    case 'cond':
      return evaluate(n.test, env) ? evaluate(n.then, env) : evaluate(n.else, env);
    case 'binary':
      return evaluateBinary(n, env);
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
