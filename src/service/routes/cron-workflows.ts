/**
 * CronWorkflows kept and run by the service (local engine): POST /cron-workflows (a CronWorkflow manifest as
 * JSON or YAML), GET /cron-workflows, GET/DELETE /cron-workflows/{name}, POST …/{name}/suspend and …/resume.
 * Each user sees and changes only their own (admin: all); another user's answers 404. On the Argo engine the
 * routes answer 501: Argo's own CronWorkflow API schedules there (`argo cron`).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { ConflictError, HttpError, NotFoundError, RequestValidationError } from '../errors.ts';
import { parseWorkflowDocuments } from '../../engine/local/admission/manifest-file.ts';
import { ManifestFileError } from '../../engine/local/errors.ts';
import { checkCronWorkflow } from '../cron/manifest.ts';
import { deleteCron, findCron, insertCron, listCrons, runsOf, setSuspended, type CronRow } from '../cron/repository.ts';
import { cronView, cronViewSchema } from '../cron/view.ts';
import { bearerSecurity, detailSchema, messageSchema } from './schemas.ts';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];
const nameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 253 }) });

const cronSchema = Type.Unsafe<Awaited<ReturnType<View>>>(cronViewSchema);

/**
 * The manifest, as a JSON object or YAML text; its fields are checked by checkCronWorkflow (cron/manifest.ts), which
 * answers 422 naming each one, so the schema only says what kind of body each content type carries.
 */
const createBody = {
  content: {
    'application/json': { schema: Type.Object({}, { additionalProperties: true, description: 'A CronWorkflow manifest' }) },
    ...Object.fromEntries(YAML_TYPES.map((type) => [type, { schema: Type.String({ description: 'A CronWorkflow manifest in YAML' }) }])),
  },
};

function notImplemented(ctx: ServiceContext): void {
  if (!ctx.cron)
    throw new HttpError(
      501,
      `CronWorkflows are scheduled by the service on the local engine only; this service uses ${ctx.engine ? `the ${ctx.engine.kind}` : 'no'} engine: ` +
        "use Argo's own CronWorkflow API (argo cron create) there.",
    );
}

/** The one CronWorkflow of a request body: a parsed JSON object, or YAML text holding one document. */
function bodyDocument(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  let docs;
  try {
    docs = parseWorkflowDocuments(body, 'request body');
  } catch (err) {
    if (!(err instanceof ManifestFileError)) throw err;
    throw new RequestValidationError([{ type: 'value_error', loc: ['body'], msg: err.message }]);
  }
  if (docs.length !== 1)
    throw new RequestValidationError([
      { type: 'value_error', loc: ['body'], msg: `expected one CronWorkflow document, found ${docs.length}` },
    ]);
  return docs[0];
}

async function visibleCron(ctx: ServiceContext, name: string, user: { id: number; isAdmin: boolean }): Promise<CronRow> {
  const cron = await findCron(ctx.db, name, user);
  if (!cron) throw new NotFoundError(`CronWorkflow ${name} not found.`);
  return cron;
}

const one = { 200: cronSchema, 404: detailSchema, 501: detailSchema };
type View = (cron: CronRow) => Promise<ReturnType<typeof cronView>>;

export async function cronWorkflowRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
  const view: View = async (cron) => cronView(cron, await runsOf(ctx.db, cron.id), ctx.cron?.nextRunOf(cron));
  createRoute(app, ctx, view);
  readRoutes(app, ctx, view);
  changeRoutes(app, ctx, view);
}

function createRoute(app: FastifyInstance, ctx: ServiceContext, view: View): void {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    '/cron-workflows',
    {
      schema: {
        summary: 'Create a CronWorkflow (JSON or YAML manifest)',
        security: bearerSecurity,
        body: createBody,
        response: { 201: cronSchema, 409: detailSchema, 501: detailSchema },
      },
    },
    async (request, reply) => {
      notImplemented(ctx);
      const manifest = checkCronWorkflow(bodyDocument(request.body), ctx.config.argoNamespace, request.user);
      if (!(await insertCron(ctx.db, request.user.id, manifest, ctx.cron!.now())))
        throw new ConflictError(`CronWorkflow ${manifest.metadata.name} already exists.`);
      ctx.cron!.poke();
      request.log.info({ cronWorkflow: manifest.metadata.name }, 'cron workflow created');
      return reply.code(201).send(await view((await findCron(ctx.db, manifest.metadata.name, request.user))!));
    },
  );
}

function readRoutes(app: FastifyInstance, ctx: ServiceContext, view: View): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/cron-workflows',
    {
      schema: {
        summary: 'List CronWorkflows with their next run',
        security: bearerSecurity,
        response: { 200: Type.Object({ items: Type.Array(cronSchema) }), 501: detailSchema },
      },
    },
    async (request) => {
      notImplemented(ctx);
      const crons = await listCrons(ctx.db, request.user);
      return { items: await Promise.all(crons.map(view)) };
    },
  );

  app
    .withTypeProvider<TypeBoxTypeProvider>()
    .get(
      '/cron-workflows/:name',
      { schema: { summary: 'One CronWorkflow', security: bearerSecurity, params: nameParams, response: one } },
      async (request) => {
        notImplemented(ctx);
        return view(await visibleCron(ctx, request.params.name, request.user));
      },
    );
}

function changeRoutes(app: FastifyInstance, ctx: ServiceContext, view: View): void {
  app.withTypeProvider<TypeBoxTypeProvider>().delete(
    '/cron-workflows/:name',
    {
      schema: {
        summary: 'Delete a CronWorkflow (its runs are kept)',
        security: bearerSecurity,
        params: nameParams,
        response: { 200: messageSchema, 404: detailSchema, 501: detailSchema },
      },
    },
    async (request) => {
      notImplemented(ctx);
      const cron = await visibleCron(ctx, request.params.name, request.user);
      await deleteCron(ctx.db, cron.id);
      ctx.cron!.poke();
      return { message: `CronWorkflow ${cron.name} deleted.` };
    },
  );

  for (const action of ['suspend', 'resume'] as const) {
    app.withTypeProvider<TypeBoxTypeProvider>().post(
      `/cron-workflows/:name/${action}`,
      {
        schema: {
          summary: `${action === 'suspend' ? 'Suspend' : 'Resume'} a CronWorkflow's schedule`,
          security: bearerSecurity,
          params: nameParams,
          response: one,
        },
      },
      async (request) => {
        notImplemented(ctx);
        const cron = await visibleCron(ctx, request.params.name, request.user);
        await setSuspended(ctx.db, cron.id, action === 'suspend');
        ctx.cron!.poke();
        return view((await findCron(ctx.db, cron.name, request.user))!);
      },
    );
  }
}
