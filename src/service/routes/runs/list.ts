import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../../context.ts';
import { listRuns } from '../../runs/repository.ts';
import { bearerSecurity, StringEnum } from '../schemas.ts';
import { runSchema, runSummary } from './shape.ts';

const DEFAULT_LIMIT = 50;

const listQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: DEFAULT_LIMIT })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  phase: Type.Optional(StringEnum(['Pending', 'Running', 'Succeeded', 'Failed', 'Error'])),
  recipe: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'Runs whose recipe id or name contains this (any case)' }),
  ),
});

const runListSchema = Type.Object({
  runs: Type.Array(runSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

/** GET /runs[?phase=…&recipe=…]: the caller's recipe runs (admin: everyone's), newest first, paged. */
export async function listRunsRoute(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/runs',
    {
      schema: {
        summary: 'List recipe runs, newest first',
        security: bearerSecurity,
        querystring: listQuery,
        response: { 200: runListSchema },
      },
    },
    async (request) => {
      // The schema's defaults fill limit and offset in.
      const { limit = DEFAULT_LIMIT, offset = 0, phase, recipe } = request.query;
      const { runs, total } = await listRuns(ctx.db, request.user, { limit, offset }, { phase, recipe });
      return { runs: runs.map(runSummary), total, limit, offset };
    },
  );
}
