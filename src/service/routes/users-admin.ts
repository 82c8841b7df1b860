import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors.ts';
import { deleteUser, listUsers, setUserDisabled } from '../users/repository.ts';
import { ADMIN_USERNAME } from '../start.ts';
import { requireSignedIn } from '../plugins/authenticate.ts';
import { bearerSecurity, detailSchema } from './schemas.ts';

function requireAdmin(request: FastifyRequest): void {
  requireSignedIn(request);
  if (!request.user.isAdmin) throw new ForbiddenError('Access token must belong to admin.');
}

const usernameParams = {
  type: 'object',
  required: ['username'],
  properties: { username: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

/** Admin: GET /users, POST /users/{name}/disable|enable, DELETE /users/{name}. */
export async function usersAdminRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.get(
    '/users',
    {
      schema: {
        summary: 'List users (admin only)',
        security: bearerSecurity,
        response: {
          200: {
            type: 'object',
            properties: {
              users: {
                type: 'array',
                // Listing only these fields is what keeps password hashes out of the answer.
                items: {
                  type: 'object',
                  properties: {
                    name: { type: 'string' },
                    is_admin: { type: 'boolean' },
                    created_at: { type: 'string' },
                    disabled_at: { type: ['string', 'null'] },
                  },
                },
              },
            },
          },
          403: detailSchema,
        },
      },
    },
    async (request) => {
      requireAdmin(request);
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

  for (const action of ['disable', 'enable'] as const) {
    app.post<{ Params: { username: string } }>(
      `/users/:username/${action}`,
      {
        schema: {
          summary: `${action === 'disable' ? 'Disable' : 'Enable'} a user (admin only)`,
          security: bearerSecurity,
          params: usernameParams,
          response: { 403: detailSchema, 404: detailSchema },
        },
      },
      async (request) => {
        requireAdmin(request);
        const { username } = request.params;
        if (username === ADMIN_USERNAME) throw new BadRequestError('The admin user cannot be disabled.');
        if (!(await setUserDisabled(ctx.db, username, action === 'disable'))) throw new NotFoundError(`User ${username} not found.`);
        ctx.auth.forgetUser(username);
        return { message: `User ${username} ${action}d.` };
      },
    );
  }

  app.delete<{ Params: { username: string } }>(
    '/users/:username',
    {
      schema: {
        summary: 'Delete a user and their runs (admin only)',
        security: bearerSecurity,
        params: usernameParams,
        response: { 403: detailSchema, 404: detailSchema },
      },
    },
    async (request) => {
      requireAdmin(request);
      const { username } = request.params;
      if (username === ADMIN_USERNAME) throw new BadRequestError('The admin user cannot be deleted.');
      if (!(await deleteUser(ctx.db, username))) throw new NotFoundError(`User ${username} not found.`);
      ctx.auth.forgetUser(username);
      return { message: `User ${username} deleted.` };
    },
  );
}
