/** Argo's `{{tag}}` substitution: the object is JSON-marshalled and tags replaced textually (SEMANTICS §2). */
import { UnresolvedVariableError } from './errors.ts';

/** Looks a tag up; undefined leaves it verbatim (or fails under `strict`). */
export type Lookup = (tag: string) => string | undefined;

const TAG = /\{\{([^{}]*)\}\}/g;

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

function replaceTags(text: string, lookup: Lookup, escape: (v: string) => string, strict?: (tag: string) => boolean): string {
  return text.replace(TAG, (whole, inner: string) => {
    const tag = inner.trim();
    // Expression tags are evaluated elsewhere (or refused at submit).
    if (tag.startsWith('=')) return whole;
    const value = lookup(tag);
    if (value !== undefined) return escape(value);
    if (strict?.(tag)) throw new UnresolvedVariableError(tag);
    return whole;
  });
}

/** Substitutes tags in every string of `value`; values are JSON-escaped, exactly as in Argo's marshalled replacement. */
export function substituteObject<T>(value: T, lookup: Lookup, strict?: (tag: string) => boolean): T {
  const text = JSON.stringify(value);
  if (text === undefined || !text.includes('{{')) return value;
  const replaced = replaceTags(text, lookup, (v) => JSON.stringify(v).slice(1, -1), strict);
  return JSON.parse(replaced) as T;
}

/** Substitutes tags in one string. */
export function substituteString(text: string, lookup: Lookup, strict?: (tag: string) => boolean): string {
  return text.includes('{{') ? replaceTags(text, lookup, (v) => v, strict) : text;
}

/** The tags (trimmed) a text contains. */
export function tagsIn(text: string): string[] {
  return [...text.matchAll(TAG)].map((m) => m[1]!.trim());
}
