/**
 * `jsonpath(json, path)` of Argo's expressions. Argo (util/expr/env) unmarshals the JSON with Go's encoding/json and
 * queries it with github.com/evilmonkeyinc/jsonpath (default options); this follows that library: `$`, `@`, `.key`,
 * `['key']`, `..`, `*`/`[*]`, `[i]` (negative from the end), `[a:b:c]`, `[?(filter)]` (jsonpath-filter.ts) and
 * `.length`. Unions `[a,b]` and scripts `[(expr)]` are refused. A missing key or an index out of range is an error
 * (Argo fails the expression); inside `*`, `..`, slices and filters such misses just drop the element, as there.
 */
import { evaluateFilter, parseFilter, type FilterNode } from './jsonpath-filter.ts';

export type Step =
  | { k: 'root' }
  | { k: 'current' }
  | { k: 'key'; key: string }
  | { k: 'index'; index: number }
  | { k: 'range'; from: number | null; to: number | null; step: number | null }
  | { k: 'wildcard' }
  | { k: 'recursive' }
  | { k: 'length' }
  | { k: 'filter'; text: string; filter: FilterNode };

type Json = unknown;

/** Queries JSON text (or an already parsed value) the way Argo's `jsonpath()` does; throws Error on a bad path or miss. */
export function jsonpath(doc: unknown, path: string): unknown {
  // Go maps marshal with sorted keys, so objects are rebuilt in that order for the `{{= }}` result.
  const root = typeof doc === 'string' ? JSON.parse(doc, sortKeysReviver) : doc;
  const steps = parsePath(path.trim());
  if (steps[0]!.k !== 'root' && steps[0]!.k !== 'current') throw new Error(`jsonpath '${path}' must start with $`);
  return applySteps(steps, root, root);
}

function sortKeysReviver(_key: string, value: unknown): unknown {
  if (!isMap(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) sorted[k] = value[k];
  return sorted;
}

/** Applies a parsed path (starting with `$` or `@`) to `root`/`current`. */
function applySteps(steps: Step[], root: Json, current: Json): unknown {
  return apply(steps[0]!, root, current, steps.slice(1));
}

/** Splits a path into steps; throws Error naming the path on bad syntax or an unsupported subscript. */
function parsePath(path: string): Step[] {
  const fail = (why: string): never => {
    throw new Error(`jsonpath '${path}': ${why}`);
  };
  if (path[0] !== '$' && path[0] !== '@') fail('must start with $');
  const steps: Step[] = [{ k: path[0] === '$' ? 'root' : 'current' }];
  let i = 1;
  while (i < path.length) {
    if (path.startsWith('..', i)) {
      steps.push({ k: 'recursive' });
      i += 2;
      if (i >= path.length) fail("'..' needs a name after it");
      if (path[i] !== '[') i = readName(i);
    } else if (path.startsWith('.[', i)) {
      i += 1;
    } else if (path[i] === '.') {
      i = readName(i + 1);
    } else if (path[i] === '[') {
      const end = closingBracket(path, i);
      if (end < 0) fail(`unclosed '[' at position ${i}`);
      steps.push(parseSubscript(path.slice(i + 1, end).trim(), fail));
      i = end + 1;
    } else fail(`unexpected '${path[i]}' at position ${i}`);
  }
  return steps;

  function readName(from: number): number {
    let end = from;
    while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
    const name = path.slice(from, end).trim();
    if (name === '') fail(`empty name at position ${from}`);
    steps.push(name === '*' ? { k: 'wildcard' } : name === 'length' ? { k: 'length' } : { k: 'key', key: name });
    return end;
  }
}

/** Index of the `]` closing the `[` at `open`, skipping quotes and nested brackets; -1 if none. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') {
      depth--;
      if (depth === 0 && c === ']') return i;
    }
  }
  return -1;
}

function parseSubscript(sub: string, fail: (why: string) => never): Step {
  if (sub === '') return fail('empty subscript []');
  if (sub === '*') return { k: 'wildcard' };
  if (sub.startsWith('?')) {
    if (!sub.startsWith('?(') || !sub.endsWith(')')) return fail(`filter [${sub}] must read [?(...)]`);
    const text = sub.slice(2, -1).trim();
    if (text === '') return fail('empty filter [?()]');
    return { k: 'filter', text, filter: parseFilter(text, parsePath) };
  }
  const quoted = /^(['"])((?:\\.|(?!\1).)*)\1$/s.exec(sub);
  if (quoted) return { k: 'key', key: quoted[2]!.replace(/\\(.)/g, '$1') };
  if (sub.startsWith('(')) return fail(`script subscripts [${sub}] are not supported by the local engine`);
  if (sub.includes(',')) return fail(`unions [${sub}] are not supported by the local engine`);
  if (sub.includes(':')) {
    const parts = sub.split(':').map((s) => s.trim());
    if (parts.length > 3) return fail(`slice [${sub}] has more than two ':'`);
    const [from, to, step] = parts.map((s) => {
      if (s === '') return null;
      if (!/^-?\d+$/.test(s)) return fail(`slice bound '${s}' is not an integer (scripts are not supported by the local engine)`);
      return Number(s);
    });
    return { k: 'range', from: from ?? null, to: to ?? null, step: step ?? null };
  }
  if (/^-?\d+$/.test(sub)) return { k: 'index', index: Number(sub) };
  return fail(`invalid subscript [${sub}]`);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function kind(v: unknown): string {
  return v === null || v === undefined ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v;
}

/** The members `*`, `..` and filters visit: array items, or object values in sorted key order (as the Go library). */
function members(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (isMap(v))
    return Object.keys(v)
      .sort()
      .map((k) => v[k]);
  return undefined;
}

function then(root: Json, value: Json, next: Step[]): unknown {
  return next.length > 0 ? apply(next[0]!, root, value, next.slice(1)) : value;
}

/** The rest of the path on one member of a set; a miss (error or null) drops it. */
function tryThen(root: Json, value: Json, next: Step[]): unknown {
  try {
    return then(root, value, next);
  } catch {
    return null;
  }
}

function apply(step: Step, root: Json, current: Json, next: Step[]): unknown {
  switch (step.k) {
    case 'root':
      return then(root, root, next);
    case 'current':
      return then(root, current, next);
    case 'key':
      if (!isMap(current)) throw new Error(`key '${step.key}' needs an object, found ${kind(current)}`);
      if (!Object.prototype.hasOwnProperty.call(current, step.key)) throw new Error(`key '${step.key}' not found`);
      return then(root, current[step.key], next);
    case 'index': {
      if (!Array.isArray(current)) throw new Error(`index [${step.index}] needs an array, found ${kind(current)}`);
      const i = step.index < 0 ? current.length + step.index : step.index;
      if (i < 0 || i >= current.length) throw new Error(`index [${step.index}] is out of range`);
      return then(root, current[i], next);
    }
    case 'length': {
      if (isMap(current)) return then(root, 'length' in current ? current.length : Object.keys(current).length, next);
      if (Array.isArray(current)) return then(root, current.length, next);
      if (typeof current === 'string') return then(root, Buffer.byteLength(current), next);
      throw new Error(`length needs an array, object or string, found ${kind(current)}`);
    }
    case 'wildcard': {
      const items = members(current);
      if (!items) throw new Error(`* needs an array or object, found ${kind(current)}`);
      if (next.length === 0) return [...items];
      return items.map((item) => tryThen(root, item, next)).filter((r) => r !== null && r !== undefined);
    }
    case 'recursive':
      return recursive(root, current, next);
    case 'range':
      return range(step, root, current, next);
    case 'filter': {
      const items = members(current);
      if (!items) throw new Error(`filter [?(${step.text})] needs an array or object, found ${kind(current)}`);
      const kept = items.filter((item) => evaluateFilter(step.filter, root, item, applySteps));
      if (next.length === 0) return kept;
      // The library hands an index straight after a filter the filtered list, with the filter's input as the new root.
      if (next[0]!.k === 'index') return apply(next[0]!, current, kept, next.slice(1));
      return kept.map((item) => tryThen(root, item, next)).filter((r) => r !== null && r !== undefined);
    }
  }
}

function recursive(root: Json, current: Json, next: Step[]): unknown[] {
  if (current === null || current === undefined) return [];
  const out: unknown[] = [];
  if (next.length > 0) {
    const found = tryThen(root, current, next);
    if (Array.isArray(found)) out.push(...found);
    else if (found !== null && found !== undefined) out.push(found);
  } else out.push(current);
  for (const child of members(current) ?? []) out.push(...recursive(root, child, next));
  return out;
}

function range(step: Extract<Step, { k: 'range' }>, root: Json, current: Json, next: Step[]): unknown {
  if (!Array.isArray(current)) throw new Error(`slice needs an array, found ${kind(current)}`);
  const n = current.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? n + v : v, 0), n);
  const from = step.from === null ? 0 : clamp(step.from);
  const to = step.to === null ? n : clamp(step.to);
  const by = step.step ?? 1;
  if (by === 0) throw new Error('slice step 0 is out of range');
  // The bounds are taken in the original order; a negative step walks them backwards.
  const picked: unknown[] = [];
  if (by > 0) for (let i = from; i < to; i += by) picked.push(current[i]);
  else for (let i = to - 1; i >= from; i += by) picked.push(current[i]);
  if (next.length === 0) return picked;
  if (next[0]!.k === 'index') return apply(next[0]!, root, picked, next.slice(1));
  return picked.map((item) => tryThen(root, item, next)).filter((r) => r !== null && r !== undefined);
}
