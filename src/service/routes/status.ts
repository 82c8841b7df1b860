import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { pythonIsoUtc } from '../auth/service.ts';
import { visibleRun } from '../runs/visible.ts';
import { bearerSecurity, detailSchema, workflowNameParams } from './schemas.ts';

/** GET /status/{workflow_name}: the run's Argo phase, from the runs table (which the engine's change stream keeps current). */
export async function statusRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.get<{ Params: { workflow_name: string } }>(
    '/status/:workflow_name',
    {
      schema: {
        summary: "A recipe run's workflow status",
        security: bearerSecurity,
        params: workflowNameParams,
        response: {
          200: {
            type: 'object',
            properties: { recipe_workflow_name: { type: 'string' }, status: { type: ['string', 'null'] }, timestamp: { type: 'string' } },
            required: ['recipe_workflow_name', 'status', 'timestamp'],
          },
          404: detailSchema,
        },
      },
    },
    async (request) => {
      const run = await visibleRun(ctx, request.user, request.params.workflow_name);
      return { recipe_workflow_name: request.params.workflow_name, status: run.phase, timestamp: pythonIsoUtc(new Date()) };
    },
  );
}
