/**
 * Which artifact keys a workflow may read and write (DESIGN §9). A workflow the service submits (labelled
 * `ogdc/submitter`, or given a scope at submit) is confined: it writes only under its own `<workflow name>/`
 * prefix and reads only that prefix and the prefixes the service gave it (its uploaded inputs,
 * `ogdc-inputs/<uuid>/`). Workflows without either (`run-workflow`, one user) keep plain keys.
 */
import path from 'node:path';

export interface ArtifactScope {
  /** Prefixes (no trailing `/`) whose keys the workflow may read. */
  readonly read: readonly string[];
  /** Prefixes whose keys the workflow may write. */
  readonly write: readonly string[];
}

/** The first component of the service's upload prefixes (`ogdc-inputs/<uuid>`, service/runs/submit.ts). */
export const UPLOADS_ROOT = 'ogdc-inputs';

/** The label the service puts on every submission (translate/builders/workflow.ts). */
export const SUBMITTER_LABEL = 'ogdc/submitter';

function cleanPrefix(prefix: string): string {
  return path.posix.normalize(prefix.replace(/^\/+/, '')).replace(/\/+$/, '');
}

/** A key as the artifact store reads it: leading slashes dropped, `.` and `//` folded. */
function cleanKey(key: string): string {
  return path.posix.normalize(key.replace(/^\/+/, ''));
}

/**
 * The scope of workflow `name`: undefined (unconfined) unless it carries the submitter label or `readPrefixes`
 * are given. Prefixes that would cover every key (`''`, `.`) are dropped.
 */
export function artifactScopeOf(
  name: string,
  labels: Record<string, string> | undefined,
  readPrefixes: readonly string[] | undefined,
): ArtifactScope | undefined {
  if (readPrefixes === undefined && labels?.[SUBMITTER_LABEL] === undefined) return undefined;
  const own = cleanPrefix(name);
  const extra = (readPrefixes ?? []).map(cleanPrefix).filter((p) => p !== '' && p !== '.' && !p.startsWith('..'));
  return { read: [own, ...extra], write: [own] };
}

/** Whether `key` lies under one of `prefixes` (the prefix itself counts). */
function keyWithin(key: string, prefixes: readonly string[]): boolean {
  const k = cleanKey(key);
  return prefixes.some((p) => k === p || k.startsWith(`${p}/`));
}

/** Why `key` is out of scope for `direction`, or undefined when it is allowed. */
export function keyRefusal(scope: ArtifactScope | undefined, key: string, direction: 'read' | 'write'): string | undefined {
  if (!scope) return undefined;
  const prefixes = direction === 'read' ? scope.read : scope.write;
  if (keyWithin(key, prefixes)) return undefined;
  return `s3.key '${key}' is outside this workflow's artifacts: a submitted workflow ${direction === 'read' ? 'reads' : 'writes'} only keys under ${prefixes.map((p) => `'${p}/'`).join(' or ')}`;
}
