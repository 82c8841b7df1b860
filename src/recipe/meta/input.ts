import type { InputParam } from '../types.ts';
import { type Checker, describe, isRecord, join, quoteList } from './check.ts';

const URL_KEYS = ['type', 'value'] as const;
const DATAONE_KEYS = ['type', 'dataset_identifier', 'filename'] as const;
const INPUT_TYPES = ['url', 'dataone'] as const;

/**
 * Validates `input`. Returns one entry per param (undefined where that param is
 * invalid) so the loader can still resolve the good ones and report everything.
 */
export function checkInput(check: Checker, value: unknown): Array<InputParam | undefined> | undefined {
  if (value === undefined) {
    check.report('input', 'required key is missing; expected a mapping with "params", a list of at least one input');
    return undefined;
  }
  const map = check.mapping(value, 'input', ['params']);
  if (!map) return undefined;
  const params = map.params;
  if (!Array.isArray(params) || params.length === 0) {
    const got = params === undefined ? 'nothing (the key is required)' : Array.isArray(params) ? 'an empty list' : describe(params);
    check.report('input.params', `expected a list of at least one input, got ${got}`);
    return undefined;
  }
  return params.map((param, index) => checkParam(check, param, `input.params[${index}]`));
}

function checkParam(check: Checker, value: unknown, path: string): InputParam | undefined {
  const rawType = isRecord(value) ? value.type : undefined;
  if (rawType === 'pvc_mount' || rawType === 'file_system') {
    check.report(
      join(path, 'type'),
      `${JSON.stringify(rawType)} inputs are not supported by this runner; expected one of ${quoteList(INPUT_TYPES)}`,
    );
    return undefined;
  }
  const type = isRecord(value) ? check.oneOf(rawType, join(path, 'type'), INPUT_TYPES) : undefined;
  const allowed = type === 'url' ? URL_KEYS : type === 'dataone' ? DATAONE_KEYS : [...new Set([...URL_KEYS, ...DATAONE_KEYS])];
  const map = check.mapping(value, path, allowed);
  if (!map || type === undefined) return undefined;

  if (type === 'url') {
    const url = checkHttpUrl(check, map.value, join(path, 'value'));
    return url === undefined ? undefined : { type, value: url };
  }
  const identifier = check.string(map.dataset_identifier, join(path, 'dataset_identifier'));
  let filename: string | undefined;
  if (map.filename !== undefined && map.filename !== null) {
    filename = check.string(map.filename, join(path, 'filename'));
    if (filename === undefined) return undefined;
  }
  if (identifier === undefined) return undefined;
  return filename === undefined ? { type, dataset_identifier: identifier } : { type, dataset_identifier: identifier, filename };
}

function checkHttpUrl(check: Checker, value: unknown, path: string): string | undefined {
  const text = check.string(value, path);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    check.report(path, `expected an http(s) URL, got ${describe(text)}`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    check.report(path, `expected an http(s) URL, got ${describe(text)}`);
    return undefined;
  }
  return text.trim();
}
