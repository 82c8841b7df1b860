import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import { deleteUser, listUsers, setUserDisabled } from '../users/repository.ts';
import { ADMIN_USERNAME } from '../users/admin.ts';
import { requireAdmin } from '../plugins/authenticate.ts';
import { bearerSecurity, detailSchema } from './schemas.ts';

const usernameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 128 }) });

const messageSchema = Type.Object({ message: Type.String() });

// Listing only these fields is what keeps password hashes out of the answer.
const userListSchema = Type.Object({
  users: Type.Array(
    Type.Object({
      name: Type.String(),
      is_admin: Type.Boolean(),
      created_at: Type.String(),
      disabled_at: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

/** Admin: GET /users, POST /users/{name}/disable|enable, DELETE /users/{name}. */
export async function usersAdminRoutes(plain: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/users',
    {
      preHandler: requireAdmin,
      schema: {
        summary: 'List users (admin only)',
        security: bearerSecurity,
        response: {
          200: userListSchema,
          403: detailSchema,
        },
      },
    },
    async () => {
      const users = await listUsers(ctx.db);
      return {
        users: users.map((u) => ({
          name: u.name,
          is_admin: u.isAdmin,
          created_at: u.createdAt.toISOString(),
          disabled_at: u.disabledAt?.toISOString() ?? null,
        })),
      };
    },
  );

  changeRoutes(app, ctx);
}

/** POST /users/{name}/disable|enable, DELETE /users/{name}: the admin account itself is refused. */
function changeRoutes(plain: FastifyInstance, ctx: ServiceContext): void {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  for (const action of ['disable', 'enable'] as const) {
    app.post(
      `/users/:username/${action}`,
      {
        preHandler: requireAdmin,
        schema: {
          summary: `${action === 'disable' ? 'Disable' : 'Enable'} a user (admin only)`,
          security: bearerSecurity,
          params: usernameParams,
          response: { 200: messageSchema, 400: detailSchema, 403: detailSchema, 404: detailSchema },
        },
      },
      async (request) => {
        const { username } = request.params;
        if (username === ADMIN_USERNAME) throw new BadRequestError('The admin user cannot be disabled.');
        if (!(await setUserDisabled(ctx.db, username, action === 'disable'))) throw new NotFoundError(`User ${username} not found.`);
        ctx.auth.forgetUser(username);
        return { message: `User ${username} ${action}d.` };
      },
    );
  }

  app.delete(
    '/users/:username',
    {
      preHandler: requireAdmin,
      schema: {
        summary: 'Delete a user and their runs (admin only)',
        security: bearerSecurity,
        params: usernameParams,
        response: { 200: messageSchema, 400: detailSchema, 403: detailSchema, 404: detailSchema },
      },
    },
    async (request) => {
      const { username } = request.params;
      if (username === ADMIN_USERNAME) throw new BadRequestError('The admin user cannot be deleted.');
      if (!(await deleteUser(ctx.db, username))) throw new NotFoundError(`User ${username} not found.`);
      ctx.auth.forgetUser(username);
      return { message: `User ${username} deleted.` };
    },
  );
}
