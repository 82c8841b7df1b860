/** Loop expansion: `withItems`, `withParam`, `withSequence` items, their variables and child names (SEMANTICS §3). */
import { LoopExpansionError } from '../errors.ts';
import { JsonNumber, keepsKeyOrder, parseJsonText } from '../expressions/json-text.ts';

export interface LoopItem {
  index: number;
  /** The item as JSON data. */
  value: unknown;
}

/**
 * Go's json.Marshal of an item value: compact, map keys sorted — except objects read from `withParam` text, which
 * are raw JSON to Argo and keep their order; numbers from there keep their text.
 */
function sortedJson(value: unknown): string {
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = keepsKeyOrder(obj) ? Object.keys(obj) : Object.keys(obj).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** An item value as Argo's `Item.String()` prints it (`%v`): strings bare, anything else compact JSON. */
function itemString(value: unknown): string {
  return typeof value === 'string' ? value : sortedJson(value);
}

/** The text `{{item}}` stands for: a map item is a Go map of items, so its own keys are sorted. */
function itemText(value: unknown): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof JsonNumber)) {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson(obj[k])}`)
      .join(',')}}`;
  }
  return itemString(value);
}

/** `item` and `item.KEY` variables of one item. */
export function itemVariables(value: unknown): Record<string, string> {
  const vars: Record<string, string> = { item: itemText(value) };
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof JsonNumber)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) vars[`item.${k}`] = itemString(v);
  }
  return vars;
}

/** The child name suffix `(i:desc)`: Go's `%v` of the item — lists as `[a b]`, maps as sorted `key:value` pairs. */
export function loopChildSuffix(item: LoopItem): string {
  const v = item.value;
  let desc: string;
  if (Array.isArray(v)) desc = `[${v.map(itemString).join(' ')}]`;
  else if (v !== null && typeof v === 'object' && !(v instanceof JsonNumber)) {
    const obj = v as Record<string, unknown>;
    desc = Object.keys(obj)
      .map((k) => `${k}:${itemString(obj[k])}`)
      .sort()
      .join(',');
  } else desc = itemString(v);
  return `(${item.index}:${desc.replace(/[()]/g, '')})`;
}

/** `withItems` as loop items. */
export function itemsFromList(list: unknown[]): LoopItem[] {
  return list.map((value, index) => ({ index, value }));
}

/** `withParam` after substitution: must be a JSON list. */
export function itemsFromParam(text: string): LoopItem[] {
  let parsed: unknown;
  try {
    parsed = parseJsonText(text);
  } catch (err) {
    throw new LoopExpansionError(`withParam value could not be parsed as a JSON list: ${text}: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new LoopExpansionError(`withParam value could not be parsed as a JSON list: ${text}: not a list`);
  return itemsFromList(parsed);
}

function toInt(field: string, raw: unknown): number {
  const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(n)) throw new LoopExpansionError(`withSequence.${field} must be an integer, got '${String(raw)}'`);
  return n;
}

/** Go `fmt.Sprintf(format, i)` for the integer verbs Argo examples use (%d, %x, %X, %o with flags and width). */
function formatSequenceValue(format: string, i: number): string {
  return format.replace(/%([-0+ ]*)(\d*)([dxXobs%])/g, (_whole, flags: string, width: string, verb: string) => {
    if (verb === '%') return '%';
    const abs = Math.abs(i);
    let digits =
      verb === 'x'
        ? abs.toString(16)
        : verb === 'X'
          ? abs.toString(16).toUpperCase()
          : verb === 'o'
            ? abs.toString(8)
            : verb === 'b'
              ? abs.toString(2)
              : String(abs);
    const sign = i < 0 ? '-' : flags.includes('+') ? '+' : '';
    const w = Number(width || 0);
    if (flags.includes('-')) return (sign + digits).padEnd(w, ' ');
    if (flags.includes('0')) digits = digits.padStart(Math.max(0, w - sign.length), '0');
    return (sign + digits).padStart(w, ' ');
  });
}

/** `withSequence` (already substituted) as string items, counting down when start > end. */
export function itemsFromSequence(seq: { start?: unknown; end?: unknown; count?: unknown; format?: string }): LoopItem[] {
  const start = seq.start === undefined || seq.start === '' ? 0 : toInt('start', seq.start);
  let end: number;
  if (seq.count !== undefined && seq.count !== '') {
    const count = toInt('count', seq.count);
    if (count === 0) return [];
    end = start + count - 1;
  } else if (seq.end !== undefined && seq.end !== '') {
    end = toInt('end', seq.end);
  } else {
    throw new LoopExpansionError('withSequence needs either end or count');
  }
  const format = seq.format || '%d';
  const items: LoopItem[] = [];
  const step = start <= end ? 1 : -1;
  for (let i = start, index = 0; step > 0 ? i <= end : i >= end; i += step, index++) {
    items.push({ index, value: formatSequenceValue(format, i) });
  }
  return items;
}
