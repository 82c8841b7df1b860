import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { pythonIsoUtc } from '../auth/service.ts';
import { NotFoundError } from '../errors.ts';
import { bearerSecurity, detailSchema, workflowNameParams } from './schemas.ts';

/** GET /status/{workflow_name}: the run's Argo phase, from the runs table (which the engine's change stream keeps current), through the status cache. */
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
      const name = request.params.workflow_name;
      const run = await ctx.statusCache.get(name, request.user);
      if (!run) throw new NotFoundError(`Workflow ${name} not found.`);
      return { recipe_workflow_name: name, status: run.phase, timestamp: pythonIsoUtc(new Date()) };
    },
  );
}
