import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import { visibleRun } from '../../runs/visible.ts';
import { refreshRun } from '../../runs/refresh.ts';
import { requireEngine } from '../../runs/engine.ts';
import { bearerSecurity, detailSchema, messageSchema, workflowNameParams } from '../schemas.ts';

/**
 * POST /runs/{name}/suspend: holds a running run as `argo suspend` does; its running steps go on, no new step starts
 * until POST /runs/{name}/resume. 409 when it has finished.
 */
export async function suspendRunRoute(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/runs/:workflow_name/suspend',
    {
      schema: {
        summary: 'Suspend a running recipe run (no new step starts until it is resumed)',
        security: bearerSecurity,
        params: workflowNameParams,
        response: { 200: messageSchema, 404: detailSchema, 409: detailSchema, 503: detailSchema },
      },
    },
    async (request) => {
      const name = request.params.workflow_name;
      const run = await visibleRun(ctx, request.user, name);
      await requireEngine(ctx).suspend(name);
      await refreshRun(ctx, run);
      request.log.info({ workflow: name }, 'run suspended');
      return { message: `Workflow ${name} is suspended; resume it with POST /runs/${name}/resume.` };
    },
  );
}
