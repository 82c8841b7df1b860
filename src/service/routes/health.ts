import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';

const CHECK_TIMEOUT_MS = 2000;

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
 */
export async function healthRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.get('/health/live', { schema: { summary: 'Liveness: the process answers' } }, async () => ({ status: 'ok' }));
  app.get('/health/ready', { schema: { summary: 'Readiness: the database and the workflow engine answer' } }, async (_request, reply) => {
    const [database, engine] = await Promise.all([
      check(() => ctx.db.query('SELECT 1')),
      ctx.engine ? check(() => ctx.engine!.ping()) : Promise.resolve('not configured'),
    ]);
    const ready = database === 'ok' && engine === 'ok';
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', database, engine });
  });
}
