import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import { ConflictError } from '../../errors.ts';
import { visibleRun } from '../../runs/visible.ts';
import { requireEngine } from '../../runs/engine.ts';
import { FINISHED_PHASES } from '../../runs/repository.ts';
import { bearerSecurity, detailSchema, messageSchema, workflowNameParams } from '../schemas.ts';

/** POST /runs/{name}/cancel: stops a running run; its nodes end Failed. */
export async function cancelRunRoute(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/runs/:workflow_name/cancel',
    {
      schema: {
        summary: 'Cancel a running recipe run',
        security: bearerSecurity,
        params: workflowNameParams,
        response: { 200: messageSchema, 404: detailSchema, 409: detailSchema, 503: detailSchema },
      },
    },
    async (request) => {
      const name = request.params.workflow_name;
      // The runs table is current (the engine's change stream writes it, the stop's outcome included).
      const run = await visibleRun(ctx, request.user, name);
      if (run.phase && FINISHED_PHASES.has(run.phase)) throw new ConflictError(`Workflow ${name} has already finished (${run.phase}).`);
      await requireEngine(ctx).stop(name);
      request.log.info({ workflow: name }, 'run cancelled');
      return { message: `Workflow ${name} is being stopped.` };
    },
  );
}
