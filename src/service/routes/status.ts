import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { pythonIsoUtc } from '../auth/service.ts';
import { NotFoundError } from '../errors.ts';
import { bearerSecurity, detailSchema, Nullable, workflowNameParams } from './schemas.ts';

const statusSchema = Type.Object({
  recipe_workflow_name: Type.String(),
  status: Nullable(Type.String({ description: "Argo's phase: Pending, Running, Succeeded, Failed, Error" })),
  timestamp: Type.String(),
});

/** GET /status/{workflow_name}: the run's Argo phase, from the runs table (which the engine's change stream keeps current), through the status cache. */
export async function statusRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/status/:workflow_name',
    {
      schema: {
        summary: "A recipe run's workflow status",
        security: bearerSecurity,
        params: workflowNameParams,
        response: { 200: statusSchema, 404: detailSchema },
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
