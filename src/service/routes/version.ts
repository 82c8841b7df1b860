import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';

/** GET /version (public): the running version. */
export async function versionRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.get(
    '/version',
    {
      schema: {
        summary: 'The OGDC runner version',
        response: { 200: { type: 'object', properties: { ogdc_runner_version: { type: 'string' } }, required: ['ogdc_runner_version'] } },
      },
    },
    async () => ({ ogdc_runner_version: ctx.version }),
  );
}
