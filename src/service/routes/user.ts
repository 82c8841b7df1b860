import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { requireSignedIn } from '../plugins/authenticate.ts';
import { bearerSecurity, detailSchema } from './schemas.ts';

/** GET /user: who the token belongs to. */
export async function currentUserRoutes(app: FastifyInstance, _ctx: ServiceContext): Promise<void> {
  app.get(
    '/user',
    {
      schema: {
        summary: 'The authenticated user',
        security: bearerSecurity,
        response: { 200: { type: 'object', properties: { current_user: { type: 'string' } }, required: ['current_user'] }, 401: detailSchema },
      },
    },
    async (request) => {
      requireSignedIn(request);
      return { current_user: request.user.name };
    },
  );
}
