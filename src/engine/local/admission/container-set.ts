/** What a `containerSet` template may hold (container_set_template_types.go: Validate), checked at submit. */
import { ManifestRejectedError } from '../../errors.ts';
import type { Obj } from '../execution/context.ts';

const reject = (field: string, message: string): never => {
  throw new ManifestRejectedError(`${field}: ${message}`, field);
};

/** A cycle through `name`'s dependencies, as validateNoCycles words it (`a->b->a`), or undefined. */
function cycleFrom(name: string, deps: Map<string, string[]>, path: string[], done: Set<string>): string | undefined {
  if (done.has(name)) return undefined;
  for (const d of deps.get(name) ?? []) {
    if (path.includes(d)) return `dependency cycle detected: ${path.join('->')}->${d}`;
    const found = cycleFrom(d, deps, [...path, d], done);
    if (found) return found;
  }
  done.add(name);
  return undefined;
}

/**
 * Refuses a containerSet Argo refuses (no containers, a dependency not defined, a cycle, a mount path twice) and
 * what the local engine does not run: per-container `volumeMounts` (every container sees the set's).
 */
export function checkContainerSet(set: Obj, path: string): void {
  const list = (set.containers as Obj[] | undefined) ?? [];
  if (list.length === 0) reject(`${path}.containers`, 'containers must have at least one container');
  const names = list.map((c) => String(c.name ?? ''));
  names.forEach((n, i) => {
    if (!/^[a-zA-Z0-9][-a-zA-Z0-9]*$/.test(n)) reject(`${path}.containers[${i}].name`, `'${n}' is not a valid container name`);
    if (names.indexOf(n) !== i) reject(`${path}.containers[${i}].name`, `containers.${n} is not unique`);
  });
  const mounts = new Set<string>();
  ((set.volumeMounts as Obj[] | undefined) ?? []).forEach((m, i) => {
    const p = String(m.mountPath);
    if (mounts.has(p)) reject(`${path}.volumeMounts[${i}].mountPath`, `volumeMounts[${i}].mountPath '${p}' already mounted`);
    mounts.add(p);
  });
  const deps = new Map<string, string[]>();
  list.forEach((c, i) => {
    if (c.volumeMounts !== undefined)
      reject(
        `${path}.containers[${i}].volumeMounts`,
        'give the mounts in containerSet.volumeMounts: the local engine mounts them in every container',
      );
    const own = ((c.dependencies as unknown[] | undefined) ?? []).map(String);
    for (const d of own)
      if (!names.includes(d)) reject(`${path}.containers[${i}].dependencies`, `containers.${names[i]} dependency '${d}' not defined`);
    deps.set(names[i]!, own);
  });
  const done = new Set<string>();
  for (const n of names) {
    const cycle = cycleFrom(n, deps, [n], done);
    if (cycle) reject(`${path}.containers`, `containers ${cycle}`);
  }
}
