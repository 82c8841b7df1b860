import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import { updatePasswordHash } from '../users/repository.ts';
import { bearerSecurity, detailSchema } from './schemas.ts';

/** PUT /user/password: change one's own password (form `current_password`, `new_password`); older tokens stop working. */
export async function accountRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.put<{ Body: { current_password: string; new_password: string } }>(
    '/user/password',
    {
      schema: {
        summary: 'Change your password',
        security: bearerSecurity,
        body: {
          type: 'object',
          required: ['current_password', 'new_password'],
          properties: {
            current_password: { type: 'string', maxLength: 1024 },
            new_password: { type: 'string', minLength: 8, maxLength: 1024 },
          },
        },
        response: { 200: { type: 'object', properties: { message: { type: 'string' } } }, 403: detailSchema },
      },
    },
    async (request) => {
      const { current_password, new_password } = request.body;
      if (!(await verifyPassword(request.user.passwordHash, current_password))) {
        throw new HttpError(403, 'The current password is wrong.');
      }
      await updatePasswordHash(ctx.db, request.user.id, await hashPassword(new_password));
      ctx.auth.forgetUser(request.user.name);
      return { message: 'Password changed. Log in again: tokens issued before now no longer work.' };
    },
  );
}
