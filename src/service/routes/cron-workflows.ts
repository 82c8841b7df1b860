/**
 * CronWorkflows kept and run by the service (local engine): POST /cron-workflows (a CronWorkflow manifest as
 * JSON or YAML), GET /cron-workflows, GET/PUT/DELETE /cron-workflows/{name}, POST …/{name}/suspend and …/resume.
 * Each user sees and changes only their own (admin: all); another user's answers 404. On the Argo engine the
 * routes answer 501: Argo's own CronWorkflow API schedules there (`argo cron`).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { ConflictError, HttpError, NotFoundError, RequestValidationError } from '../errors.ts';
import { acceptYaml, manifestBodySchema, manifestDocument } from './manifest-body.ts';
import { checkCronWorkflow } from '../cron/manifest.ts';
import { prepareRun } from '../cron/prepare.ts';
import type { Queryable } from '../../db/types.ts';
import { insertWithinQuota, quotaOf } from '../quota.ts';
import { deleteCron, findCron, insertCron, listCrons, replaceCron, runsOf, setSuspended, type CronRow } from '../cron/repository.ts';
import { cronView, cronViewSchema } from '../cron/view.ts';
import { bearerSecurity, detailSchema, messageSchema } from './schemas.ts';

const nameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 253 }) });

const cronSchema = Type.Unsafe<Awaited<ReturnType<View>>>(cronViewSchema);

const createBody = manifestBodySchema('CronWorkflow');

function notImplemented(ctx: ServiceContext): void {
  if (!ctx.cron)
    throw new HttpError(
      501,
      `CronWorkflows are scheduled by the service on the local engine only; this service uses ${ctx.engine ? `the ${ctx.engine.kind}` : 'no'} engine: ` +
        "use Argo's own CronWorkflow API (argo cron create) there.",
    );
}

async function visibleCron(ctx: ServiceContext, name: string, user: { id: number; isAdmin: boolean }): Promise<CronRow> {
  const cron = await findCron(ctx.db, name, user);
  if (!cron) throw new NotFoundError(`CronWorkflow ${name} not found.`);
  return cron;
}

const one = { 200: cronSchema, 404: detailSchema, 501: detailSchema };
type View = (cron: CronRow) => Promise<ReturnType<typeof cronView>>;

export async function cronWorkflowRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  acceptYaml(app);
  const view: View = async (cron) => cronView(cron, await runsOf(ctx.db, cron.id), ctx.cron?.nextRunOf(cron));
  createRoute(app, ctx, view);
  updateRoute(app, ctx, view);
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
        response: { 201: cronSchema, 403: detailSchema, 409: detailSchema, 501: detailSchema },
      },
    },
    async (request, reply) => {
      notImplemented(ctx);
      const manifest = checkCronWorkflow(manifestDocument(request.body, 'CronWorkflow'), ctx.config.argoNamespace);
      await prepareRun(ctx.db, manifest, request.user, new Date(0));
      const quota = quotaOf('cronWorkflows', ctx.config, request.user);
      const keep = (tx: Queryable) => insertCron(tx, request.user.id, manifest, ctx.cron!.now());
      if (!(await insertWithinQuota(ctx.db, request.user.id, quota, keep)))
        throw new ConflictError(`CronWorkflow ${manifest.metadata.name} already exists.`);
      ctx.cron!.poke();
      request.log.info({ cronWorkflow: manifest.metadata.name }, 'cron workflow created');
      return reply.code(201).send(await view((await findCron(ctx.db, manifest.metadata.name, request.user))!));
    },
  );
}

/** PUT /cron-workflows/{name}: Argo's update (the manifest replaced; its status, runs and owner kept). */
function updateRoute(app: FastifyInstance, ctx: ServiceContext, view: View): void {
  app.withTypeProvider<TypeBoxTypeProvider>().put(
    '/cron-workflows/:name',
    {
      schema: {
        summary: 'Replace a CronWorkflow (JSON or YAML manifest of the same name)',
        security: bearerSecurity,
        params: nameParams,
        body: createBody,
        response: one,
      },
    },
    async (request) => {
      notImplemented(ctx);
      const cron = await visibleCron(ctx, request.params.name, request.user);
      const manifest = checkCronWorkflow(manifestDocument(request.body, 'CronWorkflow'), cron.namespace);
      if (manifest.metadata.name !== cron.name)
        throw new RequestValidationError([
          { type: 'value_error', loc: ['body', 'metadata', 'name'], msg: `must be ${cron.name}, the CronWorkflow this replaces` },
        ]);
      manifest.metadata.namespace = cron.namespace;
      // The owner's templates and rights, not the caller's: its runs are the owner's (admin may update them).
      await prepareRun(ctx.db, manifest, { id: cron.userId, isAdmin: cron.ownerIsAdmin }, new Date(0));
      await replaceCron(ctx.db, cron.id, manifest);
      ctx.cron!.poke();
      request.log.info({ cronWorkflow: cron.name }, 'cron workflow updated');
      return view((await findCron(ctx.db, cron.name, request.user))!);
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
