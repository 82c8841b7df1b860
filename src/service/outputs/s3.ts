import type { S3Config } from '../../config/index.ts';
import type { ServiceContext } from '../context.ts';
import { createS3Client, type S3Client } from '../../storage/s3.ts';
import { EngineUnavailableError } from '../../engine/errors.ts';
import { NotFoundError } from '../errors.ts';

/** One client per service configuration (read once at startup), so connections are pooled across requests. */
const clients = new WeakMap<S3Config, S3Client>();

function clientFor(config: S3Config): S3Client {
  let client = clients.get(config);
  if (!client) {
    client = createS3Client(config);
    clients.set(config, client);
  }
  return client;
}

/**
 * A presigned URL of an output zip in Argo's artifact repository, on the public
 * S3 endpoint. The object must exist: a URL that answers 404 later helps no one.
 */
export async function presignedOutputUrl(ctx: ServiceContext, key: string, lifetimeSeconds: number): Promise<string> {
  if (!ctx.config.s3) {
    throw new EngineUnavailableError(
      'the artifact store is not configured (set S3_SECRET_KEY_ID, S3_SECRET_KEY_KEY, INTERNAL_S3_ENDPOINT_URL)',
    );
  }
  const s3 = clientFor(ctx.config.s3);
  if (!(await s3.headObject(key))) throw new NotFoundError(`The requested output was not found in the artifact store (${key}).`);
  return s3.presignGetUrl(key, lifetimeSeconds);
}
