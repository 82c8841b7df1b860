// The workflow graph's model: which boxes and edges the run page draws. No DOM and no JSX, so
// it is tested directly (test/ui/graph.test.ts).

/** The parts of a run's node (api.ts RunNode) the graph reads. */
export interface GraphNode {
  id: string;
  display_name: string;
  type: string;
  phase: string;
  boundary_id: string | null;
  children: string[];
}

interface Box {
  key: string;
  label: string;
  phase: string;
  count: number;
  /** The node a click opens: the first of a collapsed fan-out. */
  nodeId: string;
}

const RANK = ['Failed', 'Error', 'Running', 'Pending', 'Succeeded', 'Skipped', 'Omitted'];

// Fan-out pods share a template and a parent and differ only in their "(i:item)" suffix.
function groupKey(n: GraphNode): string {
  return `${n.boundary_id ?? ''}|${n.display_name.replace(/\(\d+:.*\)$/, '')}`;
}

/** Pods as boxes (fan-outs collapsed with a count, showing their worst phase) and the edges between them. */
export function workflowGraph(nodes: GraphNode[]): { boxes: Box[]; edges: Array<[string, string]> } {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const pods = nodes.filter((n) => n.type === 'Pod');
  const boxes = new Map<string, Box>();
  for (const pod of pods) {
    const key = groupKey(pod);
    const box = boxes.get(key);
    if (!box) boxes.set(key, { key, label: pod.display_name.replace(/\(\d+:.*\)$/, ''), phase: pod.phase, count: 1, nodeId: pod.id });
    else {
      box.count += 1;
      if (RANK.indexOf(pod.phase) < RANK.indexOf(box.phase)) box.phase = pod.phase;
    }
  }
  // A pod's successors are the pods reached through its children, passing over step groups and DAG nodes.
  const nextPods = (id: string, seen = new Set<string>()): string[] => {
    const out: string[] = [];
    for (const child of byId.get(id)?.children ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      const node = byId.get(child);
      if (!node) continue;
      if (node.type === 'Pod') out.push(child);
      else out.push(...nextPods(child, seen));
    }
    return out;
  };
  const edges = new Set<string>();
  for (const pod of pods) for (const next of nextPods(pod.id)) edges.add(`${groupKey(pod)}\n${groupKey(byId.get(next)!)}`);
  return { boxes: [...boxes.values()], edges: [...edges].map((e) => e.split('\n') as [string, string]).filter(([a, b]) => a !== b) };
}
