import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';

const CHECK_TIMEOUT_MS = 2000;

const readinessSchema = Type.Object({
  status: Type.String({ description: '`ok` or `unavailable`' }),
  database: Type.String({ description: '`ok`, or why the database did not answer' }),
  engine: Type.String({ description: '`ok`, `not configured`, or why the workflow engine did not answer' }),
});

async function check(what: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      what(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /health/live and /health/ready. Public on purpose: orchestrators probe
 * them without credentials, and they reveal nothing but up or down.
 * A 503 of /health/ready is the probe's answer (which dependency is down), not an error.
 */
export async function healthRoutes(plain: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/health/live',
    { schema: { summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/health/ready',
    {
      schema: {
        summary: 'Readiness: the database and the workflow engine answer',
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const [database, engine] = await Promise.all([
        check(() => ctx.db.query('SELECT 1')),
        ctx.engine ? check(() => ctx.engine!.ping()) : Promise.resolve('not configured'),
      ]);
      const ready = database === 'ok' && engine === 'ok';
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', database, engine });
    },
  );
}
