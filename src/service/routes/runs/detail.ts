import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../../context.ts';
import type { NodeStatus } from '../../../engine/types.ts';
import { visibleRun } from '../../runs/visible.ts';
import { bearerSecurity, detailSchema, Nullable, workflowNameParams } from '../schemas.ts';
import { runSchema, runSummary } from './shape.ts';

const paramsSchema = Type.Array(Type.Object({ name: Type.Optional(Type.String()), value: Type.Optional(Nullable(Type.String())) }));

/** A workflow node as the engine reports it; every field optional, as an engine may leave any out. */
const nodeSchema = Type.Partial(
  Type.Object({
    id: Type.String(),
    name: Type.String(),
    display_name: Type.String(),
    type: Type.String(),
    template: Nullable(Type.String()),
    phase: Type.String(),
    message: Nullable(Type.String()),
    started_at: Nullable(Type.String()),
    finished_at: Nullable(Type.String()),
    exit_code: Nullable(Type.String()),
    boundary_id: Nullable(Type.String()),
    children: Type.Array(Type.String()),
    inputs: paramsSchema,
    outputs: paramsSchema,
    result: Nullable(Type.String()),
  }),
);

const runDetailSchema = Type.Object({
  ...runSchema.properties,
  output_available: Type.Boolean(),
  // pvc outputs: where they are published (the workflow PVC and the recipe's folder on it).
  output_location: Nullable(Type.Object({ claim_name: Type.String(), path: Type.String() })),
  nodes: Type.Array(nodeSchema),
});

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
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/runs/:workflow_name',
    {
      schema: {
        summary: 'One recipe run in detail',
        security: bearerSecurity,
        params: workflowNameParams,
        response: { 200: runDetailSchema, 404: detailSchema, 503: detailSchema },
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
