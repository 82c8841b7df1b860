/**
 * JSON read the way Argo reads `withParam` items (Go `json.RawMessage`): numbers keep their text (`1.0` stays
 * `1.0`, not `1`), and objects keep their key order when written back (only the item's own keys get sorted).
 */

/** A JSON number as written in the source. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

/** Objects parsed here: written back in source key order. */
const keepsOrder = new WeakSet<object>();

/** Whether `value` is an object parsed by `parseJsonText` (its keys keep their order when written back). */
export function keepsKeyOrder(value: object): boolean {
  return keepsOrder.has(value);
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const SPACE = /[ \t\n\r]*/y;
const LITERAL = /true|false|null/y;

/** Parses JSON text (already known to be valid JSON) keeping number texts and key order. */
function parseValid(text: string): unknown {
  let pos = 0;
  const match = (re: RegExp): string | undefined => {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return undefined;
    pos = re.lastIndex;
    return m[0];
  };
  const value = (): unknown => {
    match(SPACE);
    const c = text[pos];
    let result: unknown;
    if (c === '{') {
      pos++;
      const obj: Record<string, unknown> = {};
      keepsOrder.add(obj);
      match(SPACE);
      if (text[pos] === '}') pos++;
      else
        for (;;) {
          match(SPACE);
          const key = JSON.parse(match(STRING)!) as string;
          match(SPACE);
          pos++; // ':'
          obj[key] = value();
          match(SPACE);
          if (text[pos++] === '}') break;
        }
      result = obj;
    } else if (c === '[') {
      pos++;
      const list: unknown[] = [];
      match(SPACE);
      if (text[pos] === ']') pos++;
      else
        for (;;) {
          list.push(value());
          match(SPACE);
          if (text[pos++] === ']') break;
        }
      result = list;
    } else if (c === '"') result = JSON.parse(match(STRING)!);
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) result = new JsonNumber(match(NUMBER)!);
    else result = JSON.parse(match(LITERAL)!);
    match(SPACE);
    return result;
  };
  return value();
}

/** `JSON.parse` (same errors), with numbers as `JsonNumber` and objects remembered as keeping their key order. */
export function parseJsonText(text: string): unknown {
  JSON.parse(text);
  return parseValid(text);
}
