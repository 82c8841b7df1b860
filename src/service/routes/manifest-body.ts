/**
 * Routes that take one Argo manifest (a CronWorkflow, a WorkflowTemplate) as JSON or as YAML text, bounded as
 * every body is (1 MiB; YAML aliases limited by the parser).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { parseWorkflowDocuments } from '../../engine/local/admission/manifest-file.ts';
import { ManifestFileError } from '../../engine/local/errors.ts';
import { RequestValidationError } from '../errors.ts';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/** Lets the routes of `app`'s scope take YAML bodies (kept as text for `manifestDocument`). */
export function acceptYaml(app: FastifyInstance): void {
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
}

/** The one document of a request body: a parsed JSON object, or YAML text holding one `kind` document. */
export function manifestDocument(body: unknown, kind: string): unknown {
  if (typeof body !== 'string') return body;
  let docs;
  try {
    docs = parseWorkflowDocuments(body, 'request body');
  } catch (err) {
    if (!(err instanceof ManifestFileError)) throw err;
    throw new RequestValidationError([{ type: 'value_error', loc: ['body'], msg: err.message }]);
  }
  if (docs.length !== 1)
    throw new RequestValidationError([{ type: 'value_error', loc: ['body'], msg: `expected one ${kind} document, found ${docs.length}` }]);
  return docs[0];
}

/**
 * The body schema of such a route: a JSON object or YAML text. The fields are checked by the route (422 naming
 * each one), so the schema only says what kind of body each content type carries.
 */
export function manifestBodySchema(kind: string) {
  return {
    content: {
      'application/json': { schema: Type.Object({}, { additionalProperties: true, description: `A ${kind} manifest` }) },
      ...Object.fromEntries(YAML_TYPES.map((type) => [type, { schema: Type.String({ description: `A ${kind} manifest in YAML` }) }])),
    },
  };
}
