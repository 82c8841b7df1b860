import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { requireAdmin } from '../plugins/authenticate.ts';
import { hashPassword } from '../auth/passwords.ts';
import { insertUser } from '../users/repository.ts';
import { bearerSecurity, credentialsFormSchema, detailSchema } from './schemas.ts';

const newUserForm = Type.Object({
  ...credentialsFormSchema.properties,
  username: Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\s/]+$' }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
});

/** POST /create_user (admin only): adds a user. */
export async function createUserRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/create_user',
    {
      preHandler: requireAdmin,
      schema: {
        summary: 'Create a user (admin only)',
        security: bearerSecurity,
        consumes: ['application/x-www-form-urlencoded'],
        body: newUserForm,
        response: {
          200: Type.Object({ message: Type.String() }),
          403: detailSchema,
          409: detailSchema,
        },
      },
    },
    async (request) => {
      const { username, password } = request.body;
      const user = await insertUser(ctx.db, { name: username, passwordHash: await hashPassword(password) });
      ctx.auth.forgetUser(user.name);
      request.log.info({ username: user.name }, 'user created');
      return { message: `User with username "${user.name}" created.` };
    },
  );
}
