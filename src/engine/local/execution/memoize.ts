/** `memoize` of a template call (state/memo.ts: table `local_memo`, ids `owner/namespace/cache/key`). */
import type { NodeStatus } from '../../types.ts';
import { SUBMITTER_LABEL } from '../admission/artifact-scope.ts';
import { createNode, type Obj, type RunContext, type Template } from './context.ts';
import { durationSeconds } from '../expressions/durations.ts';
import type { TemplateCall } from './template.ts';

interface MemoKey {
  id: string;
  key: string;
  cacheName: string;
  maxAge?: number;
}

/** `memoize` of a substituted template: the cache entry id, maxAge in seconds. */
export function memoizeKey(ctx: RunContext, tmpl: Template): MemoKey | undefined {
  const m = tmpl.memoize as Obj | undefined;
  if (!m) return undefined;
  const cacheName = String(((m.cache as Obj | undefined)?.configMap as Obj | undefined)?.name ?? '');
  const key = String(m.key ?? '');
  const owner = ctx.wf.metadata.labels?.[SUBMITTER_LABEL] ?? '';
  const id = [owner, ctx.wf.metadata.namespace ?? 'default', cacheName, key].map(encodeURIComponent).join('/');
  return { id, key, cacheName, maxAge: durationSeconds(m.maxAge) };
}

function nodeTypeOf(tmpl: Template): NodeStatus['type'] {
  if (tmpl.steps) return 'Steps';
  if (tmpl.dag) return 'DAG';
  if (tmpl.suspend !== undefined) return 'Suspend';
  return tmpl.http !== undefined ? 'HTTP' : 'Pod';
}

/** A cache hit as Argo shows it: a Succeeded node of the template's type with the cached outputs; else undefined. */
export async function memoizedNode(
  ctx: RunContext,
  call: TemplateCall,
  tmpl: Template,
  memo: MemoKey,
  inputs: NonNullable<NodeStatus['inputs']>,
): Promise<NodeStatus | undefined> {
  const cached = await ctx.memo.get(memo.id, memo.maxAge);
  if (!cached) return undefined;
  const node = createNode(ctx, {
    name: call.nodeName,
    type: nodeTypeOf(tmpl),
    templateName: call.templateName,
    boundaryId: call.boundaryId,
    phase: 'Succeeded',
  });
  if (inputs.parameters || inputs.artifacts) node.inputs = inputs;
  node.outputs = structuredClone(cached);
  (node as NodeStatus & Obj).memoizationStatus = { hit: true, key: memo.key, cacheName: memo.cacheName };
  if (node.type === 'Pod' || node.type === 'HTTP') node.progress = '1/1';
  call.link(node.id);
  return node;
}

/** Records a miss on the node and, when it succeeded, its outputs in the cache. */
export async function memoizeResult(ctx: RunContext, memo: MemoKey, node: NodeStatus): Promise<void> {
  (node as NodeStatus & Obj).memoizationStatus = { hit: false, key: memo.key, cacheName: memo.cacheName };
  if (node.phase === 'Succeeded') await ctx.memo.set(memo.id, node.outputs ?? {});
  ctx.touch(node);
}
