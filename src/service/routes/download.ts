import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { verifyDownload } from '../outputs/signing.ts';
import { findRunByWorkflowName } from '../runs/repository.ts';
import { outputKey } from '../outputs/location.ts';
import { requireEngine } from '../runs/engine.ts';
import { ArtifactNotFoundError } from '../../engine/errors.ts';
import { detailSchema } from './schemas.ts';

/**
 * GET /outputs/{workflow}/{file}?expires=…&signature=… (public: the signature is
 * the credential, as with a presigned S3 URL): the local engine's output zip.
 */
export async function downloadRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/outputs/:workflow/:file',
    {
      schema: {
        summary: 'Download an output through a signed link from /output',
        params: Type.Object({ workflow: Type.String({ maxLength: 253 }), file: Type.String({ maxLength: 300 }) }),
        querystring: Type.Object({
          expires: Type.Optional(Type.String({ maxLength: 20 })),
          signature: Type.Optional(Type.String({ maxLength: 100 })),
        }),
        response: {
          200: { description: 'The output zip.', content: { 'application/zip': { schema: Type.String({ format: 'binary' }) } } },
          403: detailSchema,
          404: detailSchema,
        },
      },
    },
    async (request, reply) => {
      const { workflow, file } = request.params;
      const path = `/outputs/${encodeURIComponent(workflow)}/${encodeURIComponent(file)}`;
      const expires = Number(request.query.expires);
      if (!verifyDownload(ctx.secretKey, path, expires, request.query.signature ?? '')) {
        throw new ForbiddenError('This download link is invalid or has expired; ask /output for a new one.');
      }
      const run = await findRunByWorkflowName(ctx.db, workflow);
      if (!run || `${run.recipeId}.zip` !== file) throw new NotFoundError(`No output ${file} for ${workflow}.`);
      try {
        const stream = await requireEngine(ctx).getArtifact(outputKey(run));
        return reply
          .type('application/zip')
          .header('content-disposition', `attachment; filename="${file}"`)
          .send(stream as never); // a stream is sent as it is; the 200 schema only documents it
      } catch (err) {
        if (err instanceof ArtifactNotFoundError) throw new NotFoundError(`No output ${file} for ${workflow}.`);
        throw err;
      }
    },
  );
}
