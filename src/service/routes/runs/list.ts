import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.ts';
import { listRuns } from '../../runs/repository.ts';
import { bearerSecurity } from '../schemas.ts';
import { runSchema, runSummary } from './shape.ts';

/** GET /runs[?phase=…&recipe=…]: the caller's recipe runs (admin: everyone's), newest first, paged. */
export async function listRunsRoute(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.get<{ Querystring: { limit: number; offset: number; phase?: string; recipe?: string } }>(
    '/runs',
    {
      schema: {
        summary: 'List recipe runs, newest first',
        security: bearerSecurity,
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
            offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
            phase: { type: 'string', enum: ['Pending', 'Running', 'Succeeded', 'Failed', 'Error'] },
            recipe: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              runs: { type: 'array', items: runSchema },
              total: { type: 'integer' },
              limit: { type: 'integer' },
              offset: { type: 'integer' },
            },
            required: ['runs', 'total', 'limit', 'offset'],
          },
        },
      },
    },
    async (request) => {
      const { limit, offset, phase, recipe } = request.query;
      const { runs, total } = await listRuns(ctx.db, request.user, { limit, offset }, { phase, recipe });
      return { runs: runs.map(runSummary), total, limit, offset };
    },
  );
}
