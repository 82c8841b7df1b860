import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { pythonIsoUtc } from '../auth/service.ts';
import { visibleRun } from '../runs/visible.ts';
import { refreshRun } from '../runs/refresh.ts';
import { FINISHED_PHASES } from '../runs/repository.ts';
import { bearerSecurity, detailSchema, workflowNameParams } from './schemas.ts';

/** GET /status/{workflow_name}: the run's Argo phase, read from the engine. */
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
      // A finished phase is final: answer from the runs table instead of asking the engine again.
      const phase = run.phase && FINISHED_PHASES.has(run.phase) ? run.phase : (await refreshRun(ctx, run)).run.phase;
      return { recipe_workflow_name: request.params.workflow_name, status: phase, timestamp: pythonIsoUtc(new Date()) };
    },
  );
}
