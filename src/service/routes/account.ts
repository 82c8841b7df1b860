import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import { updatePasswordHash } from '../users/repository.ts';
import { bearerSecurity, detailSchema, messageSchema } from './schemas.ts';

const passwordChangeForm = Type.Object({
  current_password: Type.String({ maxLength: 1024 }),
  new_password: Type.String({ minLength: 8, maxLength: 1024 }),
});

/** PUT /user/password: change one's own password (form `current_password`, `new_password`); older tokens stop working. */
export async function accountRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().put(
    '/user/password',
    {
      schema: {
        summary: 'Change your password',
        security: bearerSecurity,
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: passwordChangeForm,
        response: { 200: messageSchema, 403: detailSchema },
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
