/** `status.progress` and node progress: Pod and HTTP nodes (progress/updater.go: executable), retry attempts included (SEMANTICS §8). */
import type { NodeStatus } from '../../types.ts';

const executable = (n: NodeStatus) => n.type === 'Pod' || n.type === 'HTTP';

function parse(p: string | undefined): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(p ?? '');
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/** Sets every non-pod node's progress (the sum over pods below it) and returns the workflow's `N/M`. */
export function updateProgress(nodes: Record<string, NodeStatus>): string {
  let done = 0;
  let total = 0;
  for (const n of Object.values(nodes)) {
    if (!executable(n)) continue;
    const [d, t] = parse(n.progress ?? (n.phase === 'Succeeded' ? '1/1' : '0/1'));
    done += d;
    total += t;
  }
  for (const n of Object.values(nodes)) {
    if (executable(n)) continue;
    const seen = new Set<string>();
    const stack = [...(n.children ?? [])];
    let d = 0;
    let t = 0;
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const child = nodes[id];
      if (!child) continue;
      if (executable(child)) {
        const [cd, ct] = parse(child.progress);
        d += cd;
        t += ct;
      } else stack.push(...(child.children ?? []));
    }
    n.progress = `${d}/${t}`;
  }
  return `${done}/${total}`;
}
