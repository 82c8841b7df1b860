import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../context.ts';
import { NotFoundError } from '../errors.ts';
import { visibleRun } from '../runs/visible.ts';
import { requireEngine } from '../runs/engine.ts';
import { outputKey } from '../outputs/location.ts';
import { signDownload } from '../outputs/signing.ts';
import { ArtifactNotFoundError } from '../../engine/errors.ts';
import { bearerSecurity, detailSchema, workflowNameParams } from './schemas.ts';

/** How long a download link stays valid, as the reference's presigned URLs. */
const OUTPUT_URL_LIFETIME_SECONDS = 60 * 60;

function baseUrl(request: FastifyRequest, ctx: ServiceContext): string {
  const prefix = ctx.config.apiRootPath === '/' ? '' : ctx.config.apiRootPath;
  return `${request.protocol}://${request.host}${prefix}`;
}

/** GET /output/{workflow_name}: a time-limited URL of the zip of a finished `temporary` output. */
export async function outputRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/output/:workflow_name',
    {
      schema: {
        summary: "A download URL for a finished run's temporary output",
        security: bearerSecurity,
        params: workflowNameParams,
        response: {
          200: Type.Object({ data_url: Type.String({ description: 'A link to the zip, valid for an hour' }) }),
          404: detailSchema,
          503: detailSchema,
        },
      },
    },
    async (request) => {
      const name = request.params.workflow_name;
      const run = await visibleRun(ctx, request.user, name);
      const notFound = (why: string) => new NotFoundError(`The requested output for ${name} was not found: ${why}.`);
      if (run.outputType !== 'temporary')
        throw notFound(`recipe ${run.recipeId} publishes to "${run.outputType}", not to a temporary download`);
      if (run.phase !== 'Succeeded') throw notFound(`the run has not succeeded (status: ${run.phase ?? 'unknown'})`);
      const key = outputKey(run);
      // The engine's own link (Argo: presigned S3), else a link to this service's download route, signed.
      const direct = await requireEngine(ctx)
        .artifactLink(key, OUTPUT_URL_LIFETIME_SECONDS)
        .catch((err: unknown) => {
          if (err instanceof ArtifactNotFoundError)
            throw new NotFoundError(`The requested output was not found in the artifact store (${key}).`);
          throw err;
        });
      if (direct !== undefined) return { data_url: direct };
      const path = `/outputs/${encodeURIComponent(name)}/${encodeURIComponent(`${run.recipeId}.zip`)}`;
      const expires = Math.floor(Date.now() / 1000) + OUTPUT_URL_LIFETIME_SECONDS;
      return { data_url: `${baseUrl(request, ctx)}${path}?${signDownload(ctx.secretKey, path, expires)}` };
    },
  );
}
