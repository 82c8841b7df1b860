import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';

/** GET /version (public): the running version. */
export async function versionRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/version',
    {
      schema: {
        summary: 'The OGDC runner version',
        response: { 200: Type.Object({ ogdc_runner_version: Type.String() }) },
      },
    },
    async () => ({ ogdc_runner_version: ctx.version }),
  );
}
