import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { workflowGraph, type GraphNode } from '../../ui/src/graph-model.ts';

function node(
  id: string,
  displayName: string,
  type: string,
  phase: string,
  children: string[] = [],
  boundary: string | null = 'root',
): GraphNode {
  return {
    id,
    display_name: displayName,
    type,
    phase,
    boundary_id: boundary,
    children,
  };
}

describe("the run page's workflow graph", () => {
  it('collapses a fan-out into one box with its count and worst phase, passing over step groups', () => {
    const nodes = [
      node('root', 'wf', 'Steps', 'Running', ['g1'], null),
      node('g1', '[0]', 'StepGroup', 'Succeeded', ['fetch']),
      node('fetch', 'fetch', 'Pod', 'Succeeded', ['g2']),
      node('g2', '[1]', 'StepGroup', 'Running', ['p0', 'p1', 'p2']),
      node('p0', 'process(0:a.txt)', 'Pod', 'Succeeded', ['g3']),
      node('p1', 'process(1:b.txt)', 'Pod', 'Failed', ['g3']),
      node('p2', 'process(2:c.txt)', 'Pod', 'Running', ['g3']),
      node('g3', '[2]', 'StepGroup', 'Pending', ['publish']),
      node('publish', 'publish', 'Pod', 'Pending'),
    ];
    const { boxes, edges } = workflowGraph(nodes);
    assert.deepEqual(
      boxes.map((b) => [b.label, b.count, b.phase]),
      [
        ['fetch', 1, 'Succeeded'],
        ['process', 3, 'Failed'],
        ['publish', 1, 'Pending'],
      ],
    );
    const label = (key: string) => boxes.find((b) => b.key === key)!.label;
    assert.deepEqual(
      edges.map(([a, b]) => `${label(a)}→${label(b)}`),
      ['fetch→process', 'process→publish'],
    );
  });
});
