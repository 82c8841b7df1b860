import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { requireSignedIn } from '../plugins/authenticate.ts';
import { bearerSecurity, Nullable, StringEnum } from './schemas.ts';

const currentUserSchema = Type.Object({
  current_user: Type.String(),
  // A local account and a provider user may share a name: these say which one this is.
  source: StringEnum(['local', 'oidc']),
  issuer: Nullable(Type.String()),
  is_admin: Type.Boolean(),
});

/** GET /user: who the token belongs to, and whether a local account or a provider user. */
export async function currentUserRoutes(app: FastifyInstance, _ctx: ServiceContext): Promise<void> {
  app
    .withTypeProvider<TypeBoxTypeProvider>()
    .get(
      '/user',
      { schema: { summary: 'The authenticated user', security: bearerSecurity, response: { 200: currentUserSchema } } },
      async (request) => {
        requireSignedIn(request);
        const { name, issuer, isAdmin } = request.user;
        return { current_user: name, source: issuer === null ? ('local' as const) : ('oidc' as const), issuer, is_admin: isAdmin };
      },
    );
}
