/**
 * Time in expressions, as expr-lang gives Go's: `now()`, `date(text)` and `duration(text)` builtins; times
 * (JavaScript Dates) and durations (GoDuration) compared, subtracted and added as time.Time and time.Duration
 * are (`now() - cronworkflow.lastScheduledTime` is a duration, `date(x) + duration("1h")` a time), and their
 * methods (`.Seconds()`, `.Hours()`, `.Unix()`, `.Format(layout)`, `.Sub(t)`, …).
 */
import { durationSeconds } from './durations.ts';

/** Go time layout (`2006-01-02T15:04:05Z07:00`) applied to a date, UTC. */
export function goDate(layout: string, d: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const parts: Array<[string, () => string]> = [
    ['2006', () => String(d.getUTCFullYear())],
    ['January', () => MONTHS[d.getUTCMonth()]!],
    ['Monday', () => DAYS[d.getUTCDay()]!],
    ['Jan', () => MONTHS[d.getUTCMonth()]!.slice(0, 3)],
    ['Mon', () => DAYS[d.getUTCDay()]!.slice(0, 3)],
    ['Z07:00', () => 'Z'],
    ['MST', () => 'UTC'],
    ['01', () => pad(d.getUTCMonth() + 1)],
    ['02', () => pad(d.getUTCDate())],
    ['15', () => pad(d.getUTCHours())],
    ['03', () => pad(d.getUTCHours() % 12 || 12)],
    ['04', () => pad(d.getUTCMinutes())],
    ['05', () => pad(d.getUTCSeconds())],
    ['06', () => pad(d.getUTCFullYear() % 100)],
    ['PM', () => (d.getUTCHours() < 12 ? 'AM' : 'PM')],
  ];
  let out = '';
  for (let i = 0; i < layout.length;) {
    const hit = parts.find(([k]) => layout.startsWith(k, i));
    if (hit) {
      out += hit[1]();
      i += hit[0].length;
    } else out += layout[i++];
  }
  return out;
}

/** A Go time.Duration, kept in milliseconds (expr's arithmetic never needs finer). */
export class GoDuration {
  constructor(readonly ms: number) {}

  toString(): string {
    return `${this.ms / 1000}s`;
  }
}

const isTime = (v: unknown): v is Date => v instanceof Date;
const isDuration = (v: unknown): v is GoDuration => v instanceof GoDuration;

/** expr's `date(text)`: RFC 3339 and the other forms Date reads; an unreadable text is an error. */
export function parseTime(text: unknown): Date {
  const d = isTime(text) ? text : new Date(String(text));
  if (Number.isNaN(d.getTime())) throw new Error(`date: cannot parse ${JSON.stringify(text)} as a time`);
  return d;
}

/** expr's `duration(text)`: Go's duration syntax (`90s`, `1h30m`). */
export function parseDuration(text: unknown): GoDuration {
  const seconds = /^\d+$/.test(String(text)) ? undefined : durationSeconds(text);
  if (seconds === undefined) throw new Error(`duration: cannot parse ${JSON.stringify(text)} as a duration`);
  return new GoDuration(seconds * 1000);
}

/** `l op r` when a side is a time or a duration; undefined when neither is (the caller's arithmetic applies). */
export function timeOp(op: string, l: unknown, r: unknown): { value: unknown } | undefined {
  if (!isTime(l) && !isTime(r) && !isDuration(l) && !isDuration(r)) return undefined;
  const value = (v: unknown) => (isTime(v) ? v.getTime() : isDuration(v) ? v.ms : NaN);
  if (op === '-' && isTime(l) && isTime(r)) return { value: new GoDuration(l.getTime() - r.getTime()) };
  if ((op === '+' || op === '-') && isTime(l) && isDuration(r)) return { value: new Date(l.getTime() + (op === '+' ? r.ms : -r.ms)) };
  if (op === '+' && isDuration(l) && isTime(r)) return { value: new Date(r.getTime() + l.ms) };
  if ((op === '+' || op === '-') && isDuration(l) && isDuration(r))
    return { value: new GoDuration(op === '+' ? l.ms + r.ms : l.ms - r.ms) };
  const comparable = (isTime(l) && isTime(r)) || (isDuration(l) && isDuration(r));
  if (comparable) {
    const [a, b] = [value(l), value(r)];
    const compare: Record<string, boolean> = { '==': a === b, '!=': a !== b, '<': a < b, '>': a > b, '<=': a <= b, '>=': a >= b };
    if (op in compare) return { value: compare[op] };
  }
  if (op === '==' || op === '!=') return { value: op === '!=' };
  throw new Error(`invalid operation: ${kindOf(l)} ${op} ${kindOf(r)}`);
}

function kindOf(v: unknown): string {
  return isTime(v) ? 'time.Time' : isDuration(v) ? 'time.Duration' : v === null || v === undefined ? 'nil' : typeof v;
}

const DURATION_METHODS: Record<string, (d: GoDuration, ...args: unknown[]) => unknown> = {
  Seconds: (d) => d.ms / 1000,
  Minutes: (d) => d.ms / 60_000,
  Hours: (d) => d.ms / 3_600_000,
  Milliseconds: (d) => Math.trunc(d.ms),
  String: (d) => d.toString(),
};

const TIME_METHODS: Record<string, (t: Date, ...args: unknown[]) => unknown> = {
  Unix: (t) => Math.floor(t.getTime() / 1000),
  UnixMilli: (t) => t.getTime(),
  Year: (t) => t.getUTCFullYear(),
  Month: (t) => t.getUTCMonth() + 1,
  Day: (t) => t.getUTCDate(),
  Hour: (t) => t.getUTCHours(),
  Minute: (t) => t.getUTCMinutes(),
  Second: (t) => t.getUTCSeconds(),
  Weekday: (t) => t.getUTCDay(),
  Format: (t, layout) => goDate(String(layout), t),
  Sub: (t, u) => new GoDuration(t.getTime() - parseTime(u).getTime()),
  Add: (t, d) => new Date(t.getTime() + (isDuration(d) ? d.ms : Number(d) / 1e6)),
  After: (t, u) => t.getTime() > parseTime(u).getTime(),
  Before: (t, u) => t.getTime() < parseTime(u).getTime(),
  Equal: (t, u) => t.getTime() === parseTime(u).getTime(),
  String: (t) => t.toISOString(),
};

/** `obj.name(args)`: a method of a time or a duration; anything else has no methods here. */
export function callMethod(obj: unknown, name: string, args: unknown[]): unknown {
  const method = isTime(obj) ? TIME_METHODS[name] : isDuration(obj) ? DURATION_METHODS[name] : undefined;
  if (!method) throw new Error(`${kindOf(obj)} has no method ${name}()`);
  return (method as (o: unknown, ...a: unknown[]) => unknown)(obj, ...args);
}
