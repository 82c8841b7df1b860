/**
 * `data` templates (workflow/data/data.go, executor/data.go): the keys of the objects under
 * `source.artifactPaths.s3.key` in the artifact repository (the local store; `bucket` names nothing here), each
 * `transformation[].expression` applied in turn with the value as `data`, the JSON of the result as
 * `outputs.result`. Argo runs it in a pod of the executor alone; here it is a Pod node with no process.
 */
import { keyRefusal } from '../admission/artifact-scope.ts';
import type { NodeStatus } from '../../types.ts';
import { createNode, setPhase, type Obj, type RunContext, type Template } from './context.ts';
import { evaluateExpression } from '../expressions/expr.ts';
import { ExpressionError } from '../errors.ts';

interface DataCall {
  nodeName: string;
  templateName: string;
  boundaryId?: string;
  inputs?: NodeStatus['inputs'];
  link(id: string): void;
}

export async function runData(ctx: RunContext, call: DataCall, tmpl: Template): Promise<NodeStatus> {
  const node = createNode(ctx, {
    name: call.nodeName,
    type: 'Pod',
    templateName: call.templateName,
    boundaryId: call.boundaryId,
    phase: 'Running',
  });
  if (call.inputs && (call.inputs.parameters?.length || call.inputs.artifacts?.length)) node.inputs = call.inputs;
  call.link(node.id);
  const data = tmpl.data as Obj;
  const paths = ((data.source as Obj | undefined)?.artifactPaths ?? {}) as Obj;
  const key = String((paths.s3 as Obj | undefined)?.key ?? '');
  // A confined workflow lists only its own keys and its inputs', never the whole store (pods/artifact-scope.ts).
  const refused = keyRefusal(ctx.artifactScope, key, 'read');
  if (refused) {
    setPhase(ctx, node, 'Error', `unable to process data template: ${refused}`);
    return node;
  }
  let value: unknown;
  try {
    value = await ctx.store.list(key);
  } catch (err) {
    setPhase(
      ctx,
      node,
      'Error',
      `unable to process data template: unable to process data source: unable to source artifact paths: ${(err as Error).message}`,
    );
    return node;
  }
  const steps = (data.transformation as Obj[] | undefined) ?? [];
  for (const [i, step] of steps.entries()) {
    if (typeof step.expression !== 'string' || step.expression === '') continue;
    try {
      value = evaluateExpression(step.expression, { data: value });
      if (value === undefined) throw new ExpressionError(step.expression, 'unknown name');
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      setPhase(
        ctx,
        node,
        'Error',
        `unable to process data template: unable to process data transformation: error processing data step ${i}: ${err.message}`,
      );
      return node;
    }
  }
  node.outputs = { result: JSON.stringify(value ?? null) };
  setPhase(ctx, node, 'Succeeded');
  return node;
}
