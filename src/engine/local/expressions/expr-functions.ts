/**
 * The functions `{{= }}` expressions may call: expr-lang builtins Argo's expressions use, Argo's own (asInt,
 * asFloat, jsonpath, toJson) and sprig's (`sprig.NAME`, github.com/Masterminds/sprig: strings, numbers,
 * lists, base64, date). Anything else is refused at submit.
 */
import { jsonpath } from './jsonpath.ts';
import { goDate, parseDuration, parseTime } from './expr-time.ts';

const num = (v: unknown) => Number(v);
const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** sprig's date argument: time values and Unix seconds; anything else is now (sprig's toDate fallback). */
const sprigTime = (v: unknown) => (v instanceof Date ? v : typeof v === 'number' ? new Date(v * 1000) : new Date());

export const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  now: () => new Date(),
  date: (v) => parseTime(v),
  duration: (v) => parseDuration(v),
  asInt: (v) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`asInt: '${String(v)}' is not an integer`);
    return n;
  },
  asFloat: (v) => {
    const n = Number(v);
    if (Number.isNaN(n)) throw new Error(`asFloat: '${String(v)}' is not a number`);
    return n;
  },
  string: (v) => str(v),
  toJson: (v) => JSON.stringify(v),
  fromJson: (v) => JSON.parse(String(v)) as unknown,
  jsonpath: (doc, p) => jsonpath(doc, String(p)),
  len: (v) => (typeof v === 'string' || Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  int: (v) => Math.trunc(num(v)),
  float: (v) => num(v),
  abs: (v) => Math.abs(num(v)),
  upper: (s) => str(s).toUpperCase(),
  lower: (s) => str(s).toLowerCase(),
  trim: (s) => str(s).trim(),
  split: (s, sep) => str(s).split(str(sep)),
  join: (l, sep) =>
    list(l)
      .map(str)
      .join(sep === undefined ? '' : str(sep)),
  keys: (m) => Object.keys((m ?? {}) as object),
  values: (m) => Object.values((m ?? {}) as object),
  first: (l) => list(l)[0],
  last: (l) => list(l).at(-1),
  max: (...a) => Math.max(...a.flatMap(list).map(num)),
  min: (...a) => Math.min(...a.flatMap(list).map(num)),
  'sprig.trim': (s) => str(s).trim(),
  'sprig.trimAll': (c, s) =>
    str(s).replace(new RegExp(`^[${str(c).replace(/[\]\\^-]/g, '\\$&')}]+|[${str(c).replace(/[\]\\^-]/g, '\\$&')}]+$`, 'g'), ''),
  'sprig.trimPrefix': (p, s) => (str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s)),
  'sprig.trimSuffix': (p, s) => (str(s).endsWith(str(p)) ? str(s).slice(0, str(s).length - str(p).length) : str(s)),
  'sprig.upper': (s) => str(s).toUpperCase(),
  'sprig.lower': (s) => str(s).toLowerCase(),
  'sprig.title': (s) => str(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  'sprig.replace': (a, b, s) => str(s).split(str(a)).join(str(b)),
  'sprig.repeat': (n, s) => str(s).repeat(Math.max(0, num(n))),
  'sprig.substr': (a, b, s) => str(s).slice(num(a), num(b)),
  'sprig.contains': (sub, s) => str(s).includes(str(sub)),
  'sprig.hasPrefix': (p, s) => str(s).startsWith(str(p)),
  'sprig.hasSuffix': (p, s) => str(s).endsWith(str(p)),
  'sprig.quote': (...a) => a.map((v) => JSON.stringify(str(v))).join(' '),
  'sprig.squote': (...a) => a.map((v) => `'${str(v)}'`).join(' '),
  'sprig.cat': (...a) =>
    a
      .filter((v) => v !== undefined && v !== null)
      .map(str)
      .join(' '),
  'sprig.toString': (v) => str(v),
  'sprig.default': (d, v) => (v === undefined || v === null || v === '' || v === false || v === 0 ? d : v),
  'sprig.empty': (v) => v === undefined || v === null || v === '' || v === false || v === 0 || (Array.isArray(v) && v.length === 0),
  'sprig.int': (v) => Math.trunc(num(v)),
  'sprig.int64': (v) => Math.trunc(num(v)),
  'sprig.float64': (v) => num(v),
  'sprig.atoi': (v) => Math.trunc(num(v)) || 0,
  'sprig.add': (...a) => a.reduce<number>((x, y) => x + Math.trunc(num(y)), 0),
  'sprig.add1': (v) => Math.trunc(num(v)) + 1,
  'sprig.sub': (a, b) => Math.trunc(num(a)) - Math.trunc(num(b)),
  'sprig.mul': (...a) => a.reduce<number>((x, y) => x * Math.trunc(num(y)), 1),
  'sprig.div': (a, b) => Math.trunc(Math.trunc(num(a)) / Math.trunc(num(b))),
  'sprig.mod': (a, b) => Math.trunc(num(a)) % Math.trunc(num(b)),
  'sprig.max': (...a) => Math.max(...a.map((v) => Math.trunc(num(v)))),
  'sprig.min': (...a) => Math.min(...a.map((v) => Math.trunc(num(v)))),
  'sprig.floor': (v) => Math.floor(num(v)),
  'sprig.ceil': (v) => Math.ceil(num(v)),
  'sprig.round': (v, p) => Number(num(v).toFixed(num(p ?? 0))),
  'sprig.b64enc': (s) => Buffer.from(str(s)).toString('base64'),
  'sprig.b64dec': (s) => Buffer.from(str(s), 'base64').toString('utf8'),
  'sprig.list': (...a) => a,
  'sprig.splitList': (sep, s) => str(s).split(str(sep)),
  'sprig.join': (sep, l) => list(l).map(str).join(str(sep)),
  'sprig.has': (v, l) => list(l).includes(v),
  'sprig.uniq': (l) => [...new Set(list(l))],
  'sprig.dict': (...a) => Object.fromEntries(Array.from({ length: Math.floor(a.length / 2) }, (_, i) => [str(a[2 * i]), a[2 * i + 1]])),
  'sprig.date': (layout, t) => goDate(str(layout), sprigTime(t)),
  'sprig.now': () => new Date().toISOString(),
};

/** Builtins whose second argument is a predicate over `#` (expr-lang's closures). */
export const PREDICATES: Record<string, (items: unknown[], test: (item: unknown) => unknown) => unknown> = {
  map: (items, f) => items.map(f),
  filter: (items, f) => items.filter((x) => Boolean(f(x))),
  all: (items, f) => items.every((x) => Boolean(f(x))),
  any: (items, f) => items.some((x) => Boolean(f(x))),
  none: (items, f) => !items.some((x) => Boolean(f(x))),
  one: (items, f) => items.filter((x) => Boolean(f(x))).length === 1,
  count: (items, f) => items.filter((x) => Boolean(f(x))).length,
  find: (items, f) => items.find((x) => Boolean(f(x))),
  findIndex: (items, f) => items.findIndex((x) => Boolean(f(x))),
};
