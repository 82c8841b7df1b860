/**
 * The templates the service keeps for its CronWorkflows (local engine), as Argo's two APIs keep them:
 * /workflow-templates (a user's own WorkflowTemplates; admin sees everyone's and names another user's with
 * `?owner=`) and /cluster-workflow-templates (ClusterWorkflowTemplates: everyone reads, only admin writes).
 * Each: POST (a manifest as JSON or YAML), GET, GET/PUT/DELETE /{name}. On the Argo engine they answer 501:
 * Argo keeps templates itself (`argo template create`, `argo cluster-template create`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { ConflictError, ForbiddenError, HttpError, NotFoundError, RequestValidationError } from '../errors.ts';
import { checkTemplate, type TemplateKind } from '../templates/manifest.ts';
import type { Queryable } from '../../db/types.ts';
import { insertWithinQuota, quotaOf } from '../quota.ts';
import { deleteTemplate, findTemplate, insertTemplate, listTemplates, replaceTemplate, type TemplateRow } from '../templates/repository.ts';
import { requireSignedIn } from '../plugins/authenticate.ts';
import { acceptYaml, manifestBodySchema, manifestDocument } from './manifest-body.ts';
import { bearerSecurity, detailSchema, validationErrorSchema } from './schemas.ts';

const templateSummary = Type.Object({
  kind: Type.String(),
  metadata: Type.Object({ name: Type.String(), namespace: Type.Optional(Type.String()) }),
  owner: Type.Union([Type.String(), Type.Null()], { description: 'null for a ClusterWorkflowTemplate' }),
  templates: Type.Array(Type.String(), { description: 'the names of its templates' }),
  created_at: Type.String(),
  updated_at: Type.String(),
});
const templateView = Type.Composite([templateSummary, Type.Object({ manifest: Type.Unknown() })]);
const listView = Type.Object({ items: Type.Array(templateSummary) });
const message = Type.Object({ message: Type.String() });
const nameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 253 }) });
const ownerQuery = Type.Object({
  owner: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "admin: another user's WorkflowTemplate" })),
});
const errors = { 403: detailSchema, 404: detailSchema, 422: validationErrorSchema, 501: detailSchema };

function summary(t: TemplateRow): Static<typeof templateSummary> {
  return {
    kind: t.kind,
    metadata: { name: t.name, ...(t.kind === 'WorkflowTemplate' && { namespace: t.namespace }) },
    owner: t.owner,
    templates: (t.manifest.spec.templates ?? []).map((x) => x.name),
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

const view = (t: TemplateRow): Static<typeof templateView> => ({ ...summary(t), manifest: t.manifest });

interface Api {
  kind: TemplateKind;
  path: string;
  /** The noun of messages and summaries. */
  noun: string;
}

const APIS: Api[] = [
  { kind: 'WorkflowTemplate', path: '/workflow-templates', noun: 'WorkflowTemplate' },
  { kind: 'ClusterWorkflowTemplate', path: '/cluster-workflow-templates', noun: 'ClusterWorkflowTemplate' },
];

export async function workflowTemplateRoutes(plain: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  acceptYaml(plain);
  for (const api of APIS) {
    collectionRoutes(app, ctx, api);
    itemRoutes(app, ctx, api);
  }
}

type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

function notImplemented(ctx: ServiceContext, api: Api): void {
  if (!ctx.cron)
    throw new HttpError(
      501,
      `${api.noun}s are kept by the service for its CronWorkflows on the local engine only; on Argo, Argo keeps them: ` +
        `use ${api.kind === 'WorkflowTemplate' ? 'argo template create' : 'argo cluster-template create'} there.`,
    );
}

/** Writes to cluster templates are admin's; a user writes only their own WorkflowTemplates. */
function checkWriter(request: FastifyRequest, api: Api, owner?: string): void {
  requireSignedIn(request);
  if (api.kind === 'ClusterWorkflowTemplate' && !request.user.isAdmin)
    throw new ForbiddenError('Only admin may create, replace or delete ClusterWorkflowTemplates.');
  if (owner !== undefined && owner !== request.user.name && !request.user.isAdmin) throw new NotFoundError(`${api.noun} not found.`);
}

function collectionRoutes(app: App, ctx: ServiceContext, api: Api): void {
  app.get(
    api.path,
    { schema: { summary: `List ${api.noun}s`, security: bearerSecurity, response: { 200: listView, 501: detailSchema } } },
    async (request) => {
      notImplemented(ctx, api);
      return { items: (await listTemplates(ctx.db, api.kind, request.user)).map(summary) };
    },
  );
  app.post(
    api.path,
    {
      schema: {
        summary: `Keep a ${api.noun} (JSON or YAML manifest)`,
        security: bearerSecurity,
        body: manifestBodySchema(api.kind),
        response: { 201: templateView, 409: detailSchema, ...errors },
      },
    },
    async (request, reply) => {
      notImplemented(ctx, api);
      checkWriter(request, api);
      const manifest = checkTemplate(manifestDocument(request.body, api.kind), api.kind, ctx.config.argoNamespace);
      const owner = api.kind === 'WorkflowTemplate' ? request.user.id : undefined;
      const quota = quotaOf('templates', ctx.config, request.user);
      const keep = (tx: Queryable) => insertTemplate(tx, owner, manifest);
      if (!(await (owner === undefined ? keep(ctx.db) : insertWithinQuota(ctx.db, owner, quota, keep))))
        throw new ConflictError(`${api.noun} ${manifest.metadata.name} already exists.`);
      request.log.info({ kind: api.kind, template: manifest.metadata.name }, 'template kept');
      return reply.code(201).send(view((await findTemplate(ctx.db, api.kind, manifest.metadata.name, request.user))!));
    },
  );
}

function itemRoutes(app: App, ctx: ServiceContext, api: Api): void {
  const schema = (summaryText: string, ok: object, body = false) => ({
    summary: summaryText,
    security: bearerSecurity,
    params: nameParams,
    ...(body && { body: manifestBodySchema(api.kind) }),
    ...(api.kind === 'WorkflowTemplate' && { querystring: ownerQuery }),
    response: { 200: ok, ...errors },
  });
  const visible = async (request: FastifyRequest<{ Params: { name: string }; Querystring: { owner?: string } }>) => {
    notImplemented(ctx, api);
    const found = await findTemplate(ctx.db, api.kind, request.params.name, request.user, request.query.owner);
    if (!found) throw new NotFoundError(`${api.noun} ${request.params.name} not found.`);
    return found;
  };
  app.get<{ Params: { name: string }; Querystring: { owner?: string } }>(
    `${api.path}/:name`,
    { schema: schema(`One ${api.noun}`, templateView) },
    async (request) => view(await visible(request)),
  );
  app.put<{ Params: { name: string }; Querystring: { owner?: string } }>(
    `${api.path}/:name`,
    { schema: schema(`Replace a ${api.noun} (JSON or YAML manifest of the same name)`, templateView, true) },
    async (request) => {
      checkWriter(request, api, request.query.owner);
      const found = await visible(request);
      const manifest = checkTemplate(manifestDocument(request.body, api.kind), api.kind, found.namespace);
      if (manifest.metadata.name !== found.name)
        throw new RequestValidationError([
          { type: 'value_error', loc: ['body', 'metadata', 'name'], msg: `must be ${found.name}, the ${api.noun} this replaces` },
        ]);
      if (api.kind === 'WorkflowTemplate') manifest.metadata.namespace = found.namespace;
      await replaceTemplate(ctx.db, found.id, manifest);
      return view((await findTemplate(ctx.db, api.kind, found.name, request.user, found.owner ?? undefined))!);
    },
  );
  app.delete<{ Params: { name: string }; Querystring: { owner?: string } }>(
    `${api.path}/:name`,
    { schema: schema(`Delete a ${api.noun} (CronWorkflows naming it fail at their next run)`, message) },
    async (request) => {
      checkWriter(request, api, request.query.owner);
      const found = await visible(request);
      await deleteTemplate(ctx.db, found.id);
      return { message: `${api.noun} ${found.name} deleted.` };
    },
  );
}
