import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.ts';
import { mapDomainError } from './domain-errors.ts';
import { validationErrorSchema } from '../routes/schemas.ts';

interface ValidationIssue {
  type: string;
  loc: Array<string | number>;
  msg: string;
  input?: null;
}

const CONTEXT_LOC: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

type AjvError = NonNullable<FastifyError['validation']>[number];

function toIssue(context: string, err: AjvError): ValidationIssue {
  const loc: Array<string | number> = [CONTEXT_LOC[context] ?? context];
  for (const part of err.instancePath.split('/').slice(1)) loc.push(/^\d+$/.test(part) ? Number(part) : part);
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { type: 'missing', loc: [...loc, String(params.missingProperty)], msg: 'Field required', input: null };
    case 'type':
      return { type: `${String(params.type)}_type`, loc, msg: `Input should be a valid ${String(params.type)}` };
    case 'maxLength':
      return { type: 'string_too_long', loc, msg: `String should have at most ${String(params.limit)} characters` };
    case 'minLength':
      return { type: 'string_too_short', loc, msg: `String should have at least ${String(params.limit)} characters` };
    case 'additionalProperties':
      return { type: 'extra_forbidden', loc: [...loc, String(params.additionalProperty)], msg: 'Extra inputs are not permitted' };
    case 'pattern':
      return { type: 'string_pattern_mismatch', loc, msg: `String should match pattern '${String(params.pattern)}'` };
    case 'minimum':
    case 'maximum':
      return {
        type: err.keyword === 'minimum' ? 'greater_than_equal' : 'less_than_equal',
        loc,
        msg: `Input should be ${err.message ?? 'in range'}`,
      };
    default:
      return { type: err.keyword, loc, msg: err.message ?? 'Invalid input' };
  }
}

/**
 * The one place errors become HTTP answers, in FastAPI's shapes: `{"detail": "…"}`,
 * and 422 `{"detail": [{type, loc, msg}]}` for request validation. 5xx details stay in the log.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error.validation) {
      const context = error.validationContext ?? 'body';
      return reply.status(422).send({ detail: error.validation.map((e) => toIssue(context, e)) });
    }
    if (error instanceof HttpError) {
      return reply.status(error.statusCode).headers(error.headers).send(error.body);
    }
    const mapped = mapDomainError(error);
    if (mapped) {
      if (mapped.status >= 500) request.log.warn({ err: error }, 'dependency unavailable');
      return reply.status(mapped.status).send({ detail: mapped.detail });
    }
    // Fastify's own client errors: malformed JSON, body too large, unsupported media type.
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send({ detail: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ detail: 'Internal Server Error' });
  });
  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ detail: 'Not Found' }));
}

/**
 * Lists the 422 answer in the schema (and so in /openapi.json) of every route whose body, query or path parameters are
 * validated: by its schema, or by hand where the route's own schema lists 422 already (POST /submit).
 */
export function listValidationErrors(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (!schema || !(schema.body || schema.querystring || schema.params)) return;
    const response = (schema.response ?? {}) as Record<string, unknown>;
    if (response[422] === undefined) schema.response = { ...response, 422: validationErrorSchema };
  });
}
