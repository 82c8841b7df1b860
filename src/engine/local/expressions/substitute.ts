/** Argo's `{{tag}}` substitution: the object is JSON-marshalled and tags replaced textually (SEMANTICS §2). */
import { ExpressionError, UnresolvedVariableError } from '../errors.ts';
import { evaluateExpression } from './expr.ts';

/** Looks a tag up; undefined leaves it verbatim (or fails under `strict`). */
export type Lookup = (tag: string) => string | undefined;

// A plain tag holds no braces; an expression tag (`{{=`) runs to the first `}}`, as Argo's template parser
// (fasttemplate) reads it, so map literals and closures (`{# > 1}`) may appear inside.
const TAG = /\{\{(=[\s\S]*?|[^{}]*)\}\}/g;

/** How `{{= expr}}` tags are evaluated in one pass. */
export interface ExpressionScope {
  /** The variables as nested maps (built only when an expression tag is present). */
  env: () => Record<string, unknown>;
  /** Last pass for this text: a failing expression is an error instead of being left for later. */
  final: boolean;
}

function renderValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A lookup over a plain variable map. */
export function mapLookup(...maps: Array<Map<string, string> | Record<string, string>>): Lookup {
  return (tag) => {
    for (const m of maps) {
      const v = m instanceof Map ? m.get(tag) : Object.prototype.hasOwnProperty.call(m, tag) ? m[tag] : undefined;
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

function replaceTags(
  text: string,
  lookup: Lookup,
  escape: (v: string) => string,
  strict?: (tag: string) => boolean,
  exprs?: ExpressionScope,
): string {
  let env: Record<string, unknown> | undefined;
  return text.replace(TAG, (whole, inner: string) => {
    const tag = inner.trim();
    if (tag.startsWith('=')) {
      if (!exprs) return whole;
      env ??= exprs.env();
      // Inside the marshalled JSON the expression text is itself JSON-escaped.
      const src = escape === identity ? tag.slice(1) : (JSON.parse(`"${tag.slice(1)}"`) as string);
      try {
        const value = evaluateExpression(src, env);
        if (value === undefined) {
          if (exprs.final) throw new ExpressionError(src, 'a variable it reads is not defined');
          return whole;
        }
        return escape(renderValue(value));
      } catch (err) {
        if (exprs.final || !(err instanceof ExpressionError)) throw err;
        return whole;
      }
    }
    const value = lookup(tag);
    if (value !== undefined) return escape(value);
    if (strict?.(tag)) throw new UnresolvedVariableError(tag);
    return whole;
  });
}

const identity = (v: string) => v;

/** Substitutes tags in every string of `value`; values are JSON-escaped, exactly as in Argo's marshalled replacement. */
export function substituteObject<T>(value: T, lookup: Lookup, strict?: (tag: string) => boolean, exprs?: ExpressionScope): T {
  const text = JSON.stringify(value);
  if (text === undefined || !text.includes('{{')) return value;
  const replaced = replaceTags(text, lookup, (v) => JSON.stringify(v).slice(1, -1), strict, exprs);
  return JSON.parse(replaced) as T;
}

/** Substitutes tags in one string. */
export function substituteString(text: string, lookup: Lookup, strict?: (tag: string) => boolean, exprs?: ExpressionScope): string {
  return text.includes('{{') ? replaceTags(text, lookup, identity, strict, exprs) : text;
}

/** The tags (trimmed) a text contains. */
export function tagsIn(text: string): string[] {
  return [...text.matchAll(TAG)].map((m) => m[1]!.trim());
}
