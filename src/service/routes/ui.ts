import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { ServiceContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { detailSchema, redirectSchema } from './schemas.ts';

/** Where ui/build.mjs puts the page: ui/build beside src/ and dist/. */
function uiBuildDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'ui', 'build');
}

// Scripts and styles only from this origin, no inline code, no framing; the API is same-origin.
const UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** GET /ui/ (public: the page itself holds nothing; every call it makes is authenticated). */
export async function uiRoutes(app: FastifyInstance, _ctx: ServiceContext): Promise<void> {
  const root = uiBuildDir();
  // Hidden from /openapi.json (the docs page links the web page); their answers are still declared.
  app.get('/ui', { schema: { hide: true, response: { 302: redirectSchema('To /ui/') } } }, async (request, reply) =>
    reply.redirect(`${request.url.split('?')[0]}/`),
  );
  if (!existsSync(path.join(root, 'index.html'))) {
    app.get('/ui/*', { schema: { hide: true, response: { 503: detailSchema } } }, async () => {
      throw new HttpError(503, 'The web page is not built: run `npm run build`.');
    });
    return;
  }
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('content-security-policy', UI_CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'same-origin');
    });
    // preCompressed: the build's .br/.gz copies go to browsers that accept them.
    await scope.register(fastifyStatic, {
      root,
      prefix: '/ui/',
      index: ['index.html'],
      cacheControl: true,
      maxAge: 0,
      preCompressed: true,
    });
  });
}
