import dagre from '@dagrejs/dagre';
import type { RunNode } from '../api.ts';

export interface Box {
  key: string;
  label: string;
  phase: string;
  count: number;
  /** The node a click opens: the first of a collapsed fan-out. */
  nodeId: string;
}

const RANK = ['Failed', 'Error', 'Running', 'Pending', 'Succeeded', 'Skipped', 'Omitted'];

// Fan-out pods share a template and a parent and differ only in their "(i:item)" suffix.
function groupKey(n: RunNode): string {
  return `${n.boundary_id ?? ''}|${n.display_name.replace(/\(\d+:.*\)$/, '')}`;
}

/** Pods as boxes (fan-outs collapsed with a count, showing their worst phase) and the edges between them. */
export function workflowGraph(nodes: RunNode[]): { boxes: Box[]; edges: Array<[string, string]> } {
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

const W = 170;
const H = 44;

/** The workflow laid out by dagre, drawn as SVG; boxes are buttons that open their node. */
export function Graph({ nodes, selected, onSelect }: { nodes: RunNode[]; selected?: string; onSelect: (id: string) => void }) {
  const { boxes, edges } = workflowGraph(nodes);
  if (boxes.length === 0) return <p>No steps have started yet.</p>;
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 20, ranksep: 40, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const b of boxes) g.setNode(b.key, { width: W, height: H });
  for (const [a, b] of edges) g.setEdge(a, b);
  dagre.layout(g);
  const { width = W, height = H } = g.graph();
  return (
    <svg class="graph" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="group" aria-label="Workflow graph">
      {edges.map(([a, b]) => {
        const points = g.edge(a, b)?.points ?? [];
        return <polyline class="edge" points={points.map((p: { x: number; y: number }) => `${p.x},${p.y}`).join(' ')} />;
      })}
      {boxes.map((b) => {
        const n = g.node(b.key);
        const label = `${b.label}${b.count > 1 ? ` ×${b.count}` : ''}`;
        return (
          <g
            class={`box phase-${b.phase.toLowerCase()}${selected === b.nodeId ? ' selected' : ''}`}
            transform={`translate(${n.x - W / 2},${n.y - H / 2})`}
            role="button"
            tabIndex={0}
            aria-label={`${label}: ${b.phase}`}
            onClick={() => onSelect(b.nodeId)}
            onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), onSelect(b.nodeId))}
          >
            <rect width={W} height={H} rx={6} />
            <text x={10} y={18}>
              {label.length > 22 ? `${label.slice(0, 21)}…` : label}
            </text>
            <text x={10} y={34} class="small">
              {b.phase}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
