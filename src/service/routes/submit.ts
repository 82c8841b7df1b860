import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { RequestValidationError } from '../errors.ts';
import { prepareSubmission, submitRecipe, type Submission } from '../runs/submit.ts';
import { bearerSecurity, detailSchema } from './schemas.ts';

export const UPLOAD_LIMIT_BYTES = 20 * 1024 * 1024;
const ARCHIVE_TYPES = ['application/gzip', 'application/x-gzip', 'application/x-tar', 'application/octet-stream'];
const MAX_PATH = 2048;

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
  const path = (b.recipe_path as string).trim();
  return { label: path, source: { kind: 'text', text: path }, overwrite: b.overwrite === true };
}

function fromUpload(request: FastifyRequest<{ Querystring: { overwrite?: string; name?: string } }>): Submission {
  const { overwrite = 'false', name = 'recipe.tar.gz' } = request.query;
  if (overwrite !== 'true' && overwrite !== 'false') {
    throw new RequestValidationError([{ type: 'bool_parsing', loc: ['query', 'overwrite'], msg: 'Input should be true or false' }]);
  }
  const label = `upload:${name.slice(0, 200)}`;
  return { label, source: { kind: 'archive', data: request.body as Buffer }, overwrite: overwrite === 'true' };
}

/**
 * POST /submit: a recipe named by path or URL (JSON, as the reference CLI sends
 * it), or a recipe directory uploaded as a tar.gz body (`?overwrite=true&name=…`).
 */
export async function submitRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.addContentTypeParser(ARCHIVE_TYPES, { parseAs: 'buffer', bodyLimit: UPLOAD_LIMIT_BYTES }, (_req, body, done) => done(null, body));
  app.post<{ Querystring: { overwrite?: string; name?: string } }>(
    '/submit',
    {
      bodyLimit: UPLOAD_LIMIT_BYTES,
      schema: {
        summary: 'Submit a recipe for execution',
        description:
          'JSON `{"recipe_path": "...", "overwrite": false}` names a git URL, a `github://ORG:REPO@REF/PATH` path or a server-side directory under the configured roots. ' +
          'A body of type application/gzip is a recipe directory packed as tar.gz (`?overwrite=true&name=NAME`).',
        security: bearerSecurity,
        querystring: {
          type: 'object',
          properties: { overwrite: { type: 'string', maxLength: 5 }, name: { type: 'string', maxLength: 200 } },
        },
        response: {
          200: {
            type: 'object',
            properties: { message: { type: 'string' }, recipe_workflow_name: { type: ['string', 'null'] } },
            required: ['message', 'recipe_workflow_name'],
          },
          400: detailSchema,
          409: detailSchema,
          503: detailSchema,
        },
      },
    },
    async (request) => {
      const submission = Buffer.isBuffer(request.body) ? fromUpload(request) : fromJson(request.body);
      const name = await submitRecipe(ctx, request.user, submission, (err, what) => request.log.warn({ err }, what));
      request.log.info({ workflow: name, recipe: submission.label }, 'recipe submitted');
      return { message: `Successfully submitted recipe with recipe_workflow_name='${name}'`, recipe_workflow_name: name };
    },
  );

  app.post<{ Querystring: { overwrite?: string; name?: string } }>(
    '/render',
    {
      bodyLimit: UPLOAD_LIMIT_BYTES,
      schema: {
        summary: 'The workflow manifest a submission would run, without submitting it',
        description: 'The same inputs as POST /submit; answers the same 4xx for a recipe that /submit would refuse.',
        security: bearerSecurity,
        querystring: {
          type: 'object',
          properties: { overwrite: { type: 'string', maxLength: 5 }, name: { type: 'string', maxLength: 200 } },
        },
        response: {
          200: { type: 'object', properties: { manifest: { type: 'object', additionalProperties: true } }, required: ['manifest'] },
          400: detailSchema,
          409: detailSchema,
        },
      },
    },
    async (request) => {
      const submission = Buffer.isBuffer(request.body) ? fromUpload(request) : fromJson(request.body);
      const { translation } = await prepareSubmission(ctx, request.user, submission);
      return { manifest: translation.workflow };
    },
  );
}
