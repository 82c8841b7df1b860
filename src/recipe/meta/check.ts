import type { RecipeProblem } from '../errors.ts';

/** Collects problems for one file, attaching the line of each key path when known. */
export class Checker {
  readonly problems: RecipeProblem[] = [];

  constructor(
    readonly file: string,
    private readonly lines: Map<string, number> = new Map(),
  ) {}

  /** Records a problem at a key path. */
  report(path: string, message: string): void {
    const line = this.lineOf(path);
    this.problems.push(line === undefined ? { file: this.file, path, message } : { file: this.file, path, message, line });
  }

  private lineOf(path: string): number | undefined {
    // A missing key has no line of its own: fall back to its nearest parent that has one.
    for (let p = path; p; p = parentPath(p)) {
      const line = this.lines.get(p);
      if (line !== undefined) return line;
    }
    return undefined;
  }

  /** Checks that `value` is a mapping with only `allowed` keys; reports unknown keys one by one. */
  mapping(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> | undefined {
    if (!isRecord(value)) {
      this.report(path, `expected a mapping with keys ${quoteList(allowed)}, got ${describe(value)}`);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.report(join(path, key), `unknown key; expected one of ${quoteList(allowed)}`);
      }
    }
    return value;
  }

  /** A required non-empty string. */
  string(value: unknown, path: string): string | undefined {
    if (value === undefined) {
      this.report(path, 'required key is missing; expected a string');
      return undefined;
    }
    if (typeof value !== 'string' || value.trim() === '') {
      this.report(path, `expected a non-empty string, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  /** One of a fixed set of strings; `fallback` applies when the key is absent. */
  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[], fallback?: T): T | undefined {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    const got = value === undefined ? 'nothing (the key is required)' : describe(value);
    this.report(path, `expected one of ${quoteList(allowed)}, got ${got}`);
    return undefined;
  }

  /** A boolean, `fallback` when absent. */
  boolean(value: unknown, path: string, fallback: boolean): boolean | undefined {
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    this.report(path, `expected true or false, got ${describe(value)}`);
    return undefined;
  }

  /** A positive whole number, or null when `nullable`; `fallback` when absent. */
  positiveInt<N extends number | null>(value: unknown, path: string, fallback: N, nullable: boolean): number | N | undefined {
    if (value === undefined) return fallback;
    if (value === null && nullable) return null as N;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
    const expected = nullable ? 'a positive whole number or null' : 'a positive whole number';
    this.report(path, `expected ${expected}, got ${describe(value)}`);
    return undefined;
  }
}

/** True for a plain mapping (not a list, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Joins a key path: `join('input', 'params')` → `input.params`. */
export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function parentPath(path: string): string {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut > 0 ? path.slice(0, cut) : '';
}

/** `"a", "b", "c"` */
export function quoteList(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

/** Describes a YAML value for an error message: `the string "x"`, `a list`, `null`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}
