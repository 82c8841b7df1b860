import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ServiceContext } from './context.ts';
import { installErrorHandler, listValidationErrors } from './plugins/error-handler.ts';
import { requireAuthentication } from './plugins/authenticate.ts';
import { clientErrorHandler, frameworkErrors } from './plugins/client-error.ts';
import { logResponses, withSafeLogging } from './plugins/logging.ts';
import { echoRequestId, requestIdOf } from './plugins/request-id.ts';
import { publicRoutes, authenticatedRoutes } from './routes/index.ts';

const BODY_LIMIT_BYTES = 1024 * 1024;

/** Builds the HTTP service: public routes, then everything else behind authentication. */
export async function buildApp(ctx: ServiceContext, options: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const prefix = ctx.config.apiRootPath === '/' ? '' : ctx.config.apiRootPath;
  const app = Fastify({
    // Routes live under API_ROOT_PATH; a request without it (an ingress that strips the prefix) reaches the same
    // routes, as FastAPI's root_path serves both.
    ...(prefix !== '' && { rewriteUrl: (req: { url?: string }) => withRootPath(req.url ?? '/', prefix) }),
    bodyLimit: BODY_LIMIT_BYTES,
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
    // requestIdOf reads x-request-id itself, refusing ids that are not short plain tokens.
    requestIdHeader: false,
    genReqId: requestIdOf,
    clientErrorHandler,
    frameworkErrors,
    // Long enough for any workflow name (253), so the route schemas judge them and name the field.
    routerOptions: { maxParamLength: 300 },
    trustProxy: ctx.config.trustProxy as FastifyServerOptions['trustProxy'],
    // Tokens and passwords never reach the log: request logs carry method, path (credentials redacted) and status only.
    logger: false,
    // One access line per response (below) instead of Fastify's two per request: logging is a large share of a cheap request's cost.
    // Through a LogController: the top-level disableRequestLogging option prints a deprecation warning (FSTDEP023) at every start.
    logController: new LogController({ disableRequestLogging: true }),
    ...withSafeLogging(options),
  });
  installErrorHandler(app);
  listValidationErrors(app);
  logResponses(app);
  echoRequestId(app);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Open Geospatial Data Cloud (OGDC) API',
        version: ctx.version,
        description: 'The web page for runs, logs, outputs and submission: [open it](ui/).',
      },
      components: {
        securitySchemes: {
          OAuth2PasswordBearer: { type: 'oauth2', flows: { password: { tokenUrl: `${prefix}/token`, scopes: {} } } },
        },
      },
    },
  });

  await app.register(
    async (api) => {
      // Form routes with no body at all still answer 422 naming each missing field.
      api.addHook('preValidation', async (request) => {
        if (request.body === undefined && (request.method === 'POST' || request.method === 'PUT')) request.body = {};
      });
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      await api.register(swaggerUi, { routePrefix: '/', uiConfig: { url: `${prefix}/openapi.json` } as object });
      for (const routes of publicRoutes) await api.register(routes, ctx);
      await api.register(async (scope) => {
        requireAuthentication(scope, ctx);
        for (const routes of authenticatedRoutes) await scope.register(routes, ctx);
      });
    },
    { prefix },
  );
  return app;
}

/** `url` under `prefix`: unchanged when it already is (exactly the prefix, or the prefix and "/", "?" or "#"). */
export function withRootPath(url: string, prefix: string): string {
  if (url.startsWith(prefix)) {
    const next = url.charAt(prefix.length);
    if (next === '' || next === '/' || next === '?' || next === '#') return url;
  }
  return url.startsWith('/') ? `${prefix}${url}` : `${prefix}/${url}`;
}
