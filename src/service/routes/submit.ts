import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { RequestValidationError } from '../errors.ts';
import { prepareSubmission, submitRecipe, type Submission } from '../runs/submit.ts';
import { bearerSecurity, detailSchema, validationErrorSchema } from './schemas.ts';

const UPLOAD_LIMIT_BYTES = 20 * 1024 * 1024;
const ARCHIVE_TYPES = ['application/gzip', 'application/x-gzip', 'application/x-tar', 'application/octet-stream'];
const MAX_PATH = 2048;

/**
 * The JSON body's contract. The body is checked by hand against it (fromJson), not by the schema validator: the
 * validator coerces types (`"recipe_path": 1` would pass as "1") and the body may also be an archive, so this schema
 * is published in /openapi.json (submitContract) rather than attached as `schema.body`.
 */
const submitJsonBody = Type.Object({
  recipe_path: Type.String({ minLength: 1, maxLength: MAX_PATH, description: 'A git URL, a github:// path or a server-side directory.' }),
  overwrite: Type.Optional(Type.Boolean({ default: false })),
});
type SubmitJsonBody = Static<typeof submitJsonBody>;

const submitQuery = Type.Object({
  overwrite: Type.Optional(Type.String({ maxLength: 5, description: 'For an archive body: `true` or `false`.' })),
  name: Type.Optional(Type.String({ maxLength: 200, description: 'For an archive body: the recipe name shown in runs.' })),
});
type SubmitQuery = Static<typeof submitQuery>;

/** The request body as /openapi.json shows it: the JSON object, or a tar.gz archive of a recipe directory. */
const documentedBody = {
  content: {
    'application/json': { schema: submitJsonBody },
    ...Object.fromEntries(ARCHIVE_TYPES.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
  },
};

function withDocumentedBody({ schema, url }: { schema: object; url: string }): { schema: object; url: string } {
  return { schema: { ...schema, body: documentedBody }, url };
}

function fromJson(body: unknown): Submission {
  const issues: RequestValidationError['issues'] = [];
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (b.recipe_path === undefined) issues.push({ type: 'missing', loc: ['body', 'recipe_path'], msg: 'Field required' });
  else if (typeof b.recipe_path !== 'string')
    issues.push({ type: 'string_type', loc: ['body', 'recipe_path'], msg: 'Input should be a valid string' });
  else if (b.recipe_path.length > MAX_PATH)
    issues.push({ type: 'string_too_long', loc: ['body', 'recipe_path'], msg: `String should have at most ${MAX_PATH} characters` });
  else if (b.recipe_path.trim() === '')
    issues.push({ type: 'string_too_short', loc: ['body', 'recipe_path'], msg: 'String should have at least 1 character' });
  if (b.overwrite !== undefined && typeof b.overwrite !== 'boolean') {
    issues.push({ type: 'bool_type', loc: ['body', 'overwrite'], msg: 'Input should be a valid boolean' });
  }
  if (issues.length > 0) throw new RequestValidationError(issues);
  const valid = b as SubmitJsonBody;
  const path = valid.recipe_path.trim();
  return { label: path, source: { kind: 'text', text: path }, overwrite: valid.overwrite === true };
}

function fromUpload(query: SubmitQuery, data: Buffer): Submission {
  const { overwrite = 'false', name = 'recipe.tar.gz' } = query;
  if (overwrite !== 'true' && overwrite !== 'false') {
    throw new RequestValidationError([{ type: 'bool_parsing', loc: ['query', 'overwrite'], msg: 'Input should be true or false' }]);
  }
  const label = `upload:${name.slice(0, 200)}`;
  return { label, source: { kind: 'archive', data }, overwrite: overwrite === 'true' };
}

/**
 * POST /submit: a recipe named by path or URL (JSON, as the reference CLI sends
 * it), or a recipe directory uploaded as a tar.gz body (`?overwrite=true&name=…`).
 */
export async function submitRoutes(plain: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.addContentTypeParser(ARCHIVE_TYPES, { parseAs: 'buffer', bodyLimit: UPLOAD_LIMIT_BYTES }, (_req, body, done) => done(null, body));
  app.post(
    '/submit',
    {
      bodyLimit: UPLOAD_LIMIT_BYTES,
      config: { swaggerTransform: withDocumentedBody },
      schema: {
        summary: 'Submit a recipe for execution',
        description:
          'JSON `{"recipe_path": "...", "overwrite": false}` names a git URL, a `github://ORG:REPO@REF/PATH` path or a server-side directory under the configured roots. ' +
          'A body of type application/gzip is a recipe directory packed as tar.gz (`?overwrite=true&name=NAME`).',
        security: bearerSecurity,
        querystring: submitQuery,
        response: {
          200: Type.Object({ message: Type.String(), recipe_workflow_name: Type.Union([Type.String(), Type.Null()]) }),
          400: detailSchema,
          409: detailSchema,
          422: validationErrorSchema,
          503: detailSchema,
        },
      },
    },
    async (request) => {
      const submission = Buffer.isBuffer(request.body) ? fromUpload(request.query, request.body) : fromJson(request.body);
      const name = await submitRecipe(ctx, request.user, submission, (err, what) => request.log.warn({ err }, what));
      request.log.info({ workflow: name, recipe: submission.label }, 'recipe submitted');
      return { message: `Successfully submitted recipe with recipe_workflow_name='${name}'`, recipe_workflow_name: name };
    },
  );

  app.post(
    '/render',
    {
      bodyLimit: UPLOAD_LIMIT_BYTES,
      config: { swaggerTransform: withDocumentedBody },
      schema: {
        summary: 'The workflow manifest a submission would run, without submitting it',
        description: 'The same inputs as POST /submit; answers the same 4xx for a recipe that /submit would refuse.',
        security: bearerSecurity,
        querystring: submitQuery,
        response: {
          200: Type.Object({ manifest: Type.Object({}, { additionalProperties: true }) }),
          400: detailSchema,
          409: detailSchema,
          422: validationErrorSchema,
        },
      },
    },
    async (request) => {
      const submission = Buffer.isBuffer(request.body) ? fromUpload(request.query, request.body) : fromJson(request.body);
      const { translation } = await prepareSubmission(ctx, request.user, submission);
      return { manifest: translation.workflow };
    },
  );
}
