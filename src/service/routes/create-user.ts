import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { ForbiddenError } from '../errors.ts';
import { hashPassword } from '../auth/passwords.ts';
import { insertUser } from '../users/repository.ts';
import { bearerSecurity, credentialsFormSchema, detailSchema, type CredentialsForm } from './schemas.ts';

/** POST /create_user (admin only): adds a user. */
export async function createUserRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.post<{ Body: CredentialsForm }>(
    '/create_user',
    {
      schema: {
        summary: 'Create a user (admin only)',
        security: bearerSecurity,
        consumes: ['application/x-www-form-urlencoded'],
        body: {
          ...credentialsFormSchema,
          properties: {
            ...credentialsFormSchema.properties,
            username: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[^\\s/]+$' },
            password: { type: 'string', minLength: 1, maxLength: 1024 },
          },
        },
        response: {
          200: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
          403: detailSchema,
          409: detailSchema,
        },
      },
    },
    async (request) => {
      if (!request.user.isAdmin) throw new ForbiddenError('Access token must belong to admin.');
      const { username, password } = request.body;
      const user = await insertUser(ctx.db, { name: username, passwordHash: await hashPassword(password) });
      ctx.auth.forgetUser(user.name);
      request.log.info({ username: user.name }, 'user created');
      return { message: `User with username "${user.name}" created.` };
    },
  );
}
