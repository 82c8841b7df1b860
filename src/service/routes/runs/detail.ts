import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.ts';
import type { NodeStatus } from '../../../engine/types.ts';
import { visibleRun } from '../../runs/visible.ts';
import { bearerSecurity, detailSchema, workflowNameParams } from '../schemas.ts';
import { runSchema, runSummary } from './shape.ts';

const paramsSchema = {
  type: 'array',
  items: { type: 'object', properties: { name: { type: 'string' }, value: { type: ['string', 'null'] } } },
} as const;

const nodeSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    display_name: { type: 'string' },
    type: { type: 'string' },
    template: { type: ['string', 'null'] },
    phase: { type: 'string' },
    message: { type: ['string', 'null'] },
    started_at: { type: ['string', 'null'] },
    finished_at: { type: ['string', 'null'] },
    exit_code: { type: ['string', 'null'] },
    boundary_id: { type: ['string', 'null'] },
    children: { type: 'array', items: { type: 'string' } },
    inputs: paramsSchema,
    outputs: paramsSchema,
    result: { type: ['string', 'null'] },
  },
} as const;

function nodeView(node: NodeStatus) {
  return {
    id: node.id,
    name: node.name,
    display_name: node.displayName,
    type: node.type,
    template: node.templateName ?? null,
    phase: node.phase,
    message: node.message ?? null,
    started_at: node.startedAt ?? null,
    finished_at: node.finishedAt ?? null,
    exit_code: node.outputs?.exitCode ?? null,
    boundary_id: node.boundaryID ?? null,
    children: node.children ?? [],
    inputs: (node.inputs?.parameters ?? []).map((p) => ({ name: p.name, value: p.value ?? null })),
    outputs: (node.outputs?.parameters ?? []).map((p) => ({ name: p.name, value: p.value ?? null })),
    result: node.outputs?.result ?? null,
  };
}

/** GET /runs/{name}: one run with its workflow nodes, phases and progress. */
export async function runDetailRoute(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.get<{ Params: { workflow_name: string } }>(
    '/runs/:workflow_name',
    {
      schema: {
        summary: 'One recipe run in detail',
        security: bearerSecurity,
        params: workflowNameParams,
        response: {
          200: {
            type: 'object',
            properties: {
              ...runSchema.properties,
              output_available: { type: 'boolean' },
              // pvc outputs: where they are published (the workflow PVC and the recipe's folder on it).
              output_location: {
                type: ['object', 'null'],
                properties: { claim_name: { type: 'string' }, path: { type: 'string' } },
                required: ['claim_name', 'path'],
              },
              nodes: { type: 'array', items: nodeSchema },
            },
          },
          404: detailSchema,
        },
      },
    },
    async (request) => {
      const run = await visibleRun(ctx, request.user, request.params.workflow_name);
      // The row is current (the change stream writes it); only the nodes come from the engine, once per version.
      const workflow = await ctx.workflowDetails.get(run);
      const nodes = Object.values(workflow?.status?.nodes ?? {})
        .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.name.localeCompare(b.name))
        .map(nodeView);
      const outputLocation = run.outputType === 'pvc' ? { claim_name: ctx.config.workflowPvcName, path: `${run.recipeId}/` } : null;
      return {
        ...runSummary(run),
        output_available: run.outputType === 'temporary' && run.phase === 'Succeeded',
        output_location: outputLocation,
        nodes,
      };
    },
  );
}
