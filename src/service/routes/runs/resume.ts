import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../../context.ts';
import { visibleRun } from '../../runs/visible.ts';
import { requireEngine } from '../../runs/engine.ts';
import { bearerSecurity, detailSchema, messageSchema, workflowNameParams } from '../schemas.ts';

// A map with a pattern on its names, in plain JSON Schema: TypeBox's Record would put the pattern in patternProperties,
// which lets any other name through.
const outputValues = Type.Unsafe<Record<string, string>>({
  type: 'object',
  description: 'Values of the suspended nodes’ supplied output parameters',
  maxProperties: 100,
  propertyNames: { pattern: '^[A-Za-z0-9_.-]{1,253}$' },
  additionalProperties: { type: 'string', maxLength: 262144 },
});

const resumeBody = Type.Object({ parameters: Type.Optional(outputValues) }, { additionalProperties: false });

/**
 * POST /runs/{name}/resume: resumes a suspended run (its Suspend nodes succeed; `parameters` set their supplied
 * outputs). 409 when nothing is suspended, 400 when an output cannot be set.
 */
export async function resumeRunRoute(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/runs/:workflow_name/resume',
    {
      schema: {
        summary: 'Resume a suspended recipe run',
        security: bearerSecurity,
        params: workflowNameParams,
        body: resumeBody,
        response: { 200: messageSchema, 400: detailSchema, 404: detailSchema, 409: detailSchema, 503: detailSchema },
      },
    },
    async (request) => {
      const name = request.params.workflow_name;
      await visibleRun(ctx, request.user, name);
      // The resumed workflow's status reaches the runs table by the engine's change stream.
      await requireEngine(ctx).resume(name, { parameters: request.body.parameters ?? {} });
      request.log.info({ workflow: name }, 'run resumed');
      return { message: `Workflow ${name} is resumed.` };
    },
  );
}
