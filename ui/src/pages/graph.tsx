import dagre from '@dagrejs/dagre';
import type { RunNode } from '../api.ts';
import { workflowGraph } from '../graph-model.ts';

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
            tabindex={0}
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
