import type { InputParam } from '../types.ts';
import { type Checker, describe, isRecord, join, quoteList } from './check.ts';

const URL_KEYS = ['type', 'value'] as const;
const DATAONE_KEYS = ['type', 'dataset_identifier', 'filename'] as const;
const PVC_KEYS = ['type', 'claim_name', 'path', 'glob'] as const;
const INPUT_TYPES = ['url', 'dataone', 'pvc_mount'] as const;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

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
  const checked = params.map((param, index) => checkParam(check, param, `input.params[${index}]`));
  const types = new Set(params.map((p) => (isRecord(p) ? p.type : undefined)));
  if (types.has('pvc_mount') && (types.has('url') || types.has('dataone'))) {
    check.report('input.params', 'pvc_mount inputs cannot be combined with URL or DataONE inputs');
  }
  return checked;
}

/** `..` as a path segment, either separator. */
function hasParentSegment(value: string): boolean {
  return value.split('/').includes('..');
}

function checkPvcParam(check: Checker, map: Record<string, unknown>, path: string): InputParam | undefined {
  const claim = check.string(map.claim_name, join(path, 'claim_name'));
  let ok = claim !== undefined;
  if (claim !== undefined && claim.length > 63) {
    check.report(join(path, 'claim_name'), `claim_name too long (${claim.length} > 63)`);
    ok = false;
  } else if (claim !== undefined && !DNS_LABEL.test(claim)) {
    check.report(
      join(path, 'claim_name'),
      `claim_name must be a valid Kubernetes DNS label (lower-case letters, digits and "-"), got ${describe(claim)}`,
    );
    ok = false;
  }
  const dir = map.path;
  if (typeof dir !== 'string') {
    check.report(
      join(path, 'path'),
      dir === undefined ? 'required key is missing; expected a folder within the claim' : `expected a string, got ${describe(dir)}`,
    );
    ok = false;
  } else if (dir.includes('\0')) {
    check.report(join(path, 'path'), 'path must not contain null bytes');
    ok = false;
  } else if (hasParentSegment(dir)) {
    check.report(join(path, 'path'), `path must not contain parent directory references, got ${describe(dir)}`);
    ok = false;
  }
  let glob = '*';
  if (map.glob !== undefined) {
    const g = check.string(map.glob, join(path, 'glob'));
    if (g === undefined) ok = false;
    else if (g.includes('\0')) {
      check.report(join(path, 'glob'), 'glob must not contain null bytes');
      ok = false;
    } else if (g.startsWith('/')) {
      check.report(join(path, 'glob'), `glob must be relative to the PVC input path, got ${describe(g)}`);
      ok = false;
    } else if (hasParentSegment(g)) {
      check.report(join(path, 'glob'), `glob must not contain parent directory references, got ${describe(g)}`);
      ok = false;
    } else glob = g;
  }
  return ok ? { type: 'pvc_mount', claim_name: claim!, path: dir as string, glob } : undefined;
}

function checkParam(check: Checker, value: unknown, path: string): InputParam | undefined {
  const rawType = isRecord(value) ? value.type : undefined;
  if (rawType === 'file_system') {
    check.report(
      join(path, 'type'),
      `${JSON.stringify(rawType)} inputs are not supported by this runner; expected one of ${quoteList(INPUT_TYPES)}`,
    );
    return undefined;
  }
  const type = isRecord(value) ? check.oneOf(rawType, join(path, 'type'), INPUT_TYPES) : undefined;
  const allowed =
    type === 'url'
      ? URL_KEYS
      : type === 'dataone'
        ? DATAONE_KEYS
        : type === 'pvc_mount'
          ? PVC_KEYS
          : [...new Set([...URL_KEYS, ...DATAONE_KEYS, ...PVC_KEYS])];
  const map = check.mapping(value, path, allowed);
  if (!map || type === undefined) return undefined;
  if (type === 'pvc_mount') return checkPvcParam(check, map, path);

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
