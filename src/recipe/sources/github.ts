import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RecipeSourceError, RecipeSourceUnavailableError } from '../errors.ts';
import { fetchFailureReason } from '../inputs/http.ts';
import { assertPublicHost } from './hosts.ts';
import type { StageLimits } from './limits.ts';
import type { GithubSpec } from './remote.ts';

export const DEFAULT_GITHUB_BASE_URL = 'https://codeload.github.com';

/**
 * Downloads `{base}/{org}/{repo}/tar.gz/{ref}` (GitHub's codeload archive URL) to `file`,
 * bounded in size and time. GitHub archives hold one top-level folder, `{repo}-{ref}`.
 */
export async function downloadGithubArchive(
  spec: GithubSpec,
  file: string,
  options: { baseUrl: string; allowPrivateHosts: boolean; limits: StageLimits; signal: AbortSignal },
  label: string,
): Promise<void> {
  const base = options.baseUrl.replace(/\/+$/, '');
  const url = `${base}/${encodeURIComponent(spec.org)}/${encodeURIComponent(spec.repo)}/tar.gz/${spec.ref.split('/').map(encodeURIComponent).join('/')}`;
  await assertPublicHost(new URL(base).hostname, options.allowPrivateHosts, label);
  let response: Response;
  try {
    response = await fetch(url, { signal: options.signal, redirect: 'follow' });
  } catch (error) {
    throw new RecipeSourceUnavailableError(
      label,
      `${label}: downloading ${url} failed: ${fetchFailureReason(error, options.limits.timeoutMs)}`,
      { cause: error },
    );
  }
  if (response.status === 404) {
    throw new RecipeSourceError(
      label,
      `${label}: repository ${spec.org}/${spec.repo} or ref ${JSON.stringify(spec.ref)} not found (${url} answered 404)`,
    );
  }
  if (!response.ok || !response.body) {
    throw new RecipeSourceUnavailableError(label, `${label}: downloading ${url} failed: HTTP ${response.status}`);
  }
  const max = options.limits.maxDownloadBytes;
  if (Number(response.headers.get('content-length') ?? 0) > max) {
    throw new RecipeSourceError(label, `${label}: the archive is larger than ${max} bytes`);
  }
  let received = 0;
  const bound = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (received > max) done(new RecipeSourceError(label, `${label}: the archive is larger than ${max} bytes`));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), bound, createWriteStream(file));
  } catch (error) {
    if (error instanceof RecipeSourceError) throw error;
    throw new RecipeSourceUnavailableError(
      label,
      `${label}: downloading ${url} failed: ${fetchFailureReason(error, options.limits.timeoutMs)}`,
      { cause: error },
    );
  }
}
