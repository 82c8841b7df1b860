import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { requireSignedIn } from '../plugins/authenticate.ts';
import { bearerSecurity, detailSchema } from './schemas.ts';

/** GET /user: who the token belongs to, and whether a local account or a provider user. */
export async function currentUserRoutes(app: FastifyInstance, _ctx: ServiceContext): Promise<void> {
  app.get(
    '/user',
    {
      schema: {
        summary: 'The authenticated user',
        security: bearerSecurity,
        response: {
          200: {
            type: 'object',
            properties: {
              current_user: { type: 'string' },
              // A local account and a provider user may share a name: these say which one this is.
              source: { type: 'string', enum: ['local', 'oidc'] },
              issuer: { type: ['string', 'null'] },
              is_admin: { type: 'boolean' },
            },
            required: ['current_user', 'source', 'issuer', 'is_admin'],
          },
          401: detailSchema,
        },
      },
    },
    async (request) => {
      requireSignedIn(request);
      const { name, issuer, isAdmin } = request.user;
      return { current_user: name, source: issuer === null ? 'local' : 'oidc', issuer, is_admin: isAdmin };
    },
  );
}
