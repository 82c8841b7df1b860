import { copyFile, mkdir, mkdtemp, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecipeSourceError, RecipeSourceUnavailableError } from './errors.ts';
import { extractRecipeArchive } from './sources/archive.ts';
import { copyRecipeTree } from './sources/copy-tree.ts';
import { assertLocalPathAllowed, cloneRepo } from './sources/git.ts';
import { DEFAULT_GITHUB_BASE_URL, downloadGithubArchive } from './sources/github.ts';
import { DEFAULT_LIMITS, type StageLimits } from './sources/limits.ts';
import { parseRemote } from './sources/remote.ts';

/** Where a recipe comes from. `remote` is a `git+URL@REF#PATH` or `github://ORG:REPO@REF/PATH` string (see sources/remote.ts). */
export type RecipeSource = { kind: 'path'; path: string } | { kind: 'archive'; data: Buffer } | { kind: 'remote'; url: string };

/** A recipe copied into a private temporary directory; `cleanup` removes it. */
interface StagedRecipe {
  dir: string;
  cleanup(): Promise<void>;
}

export interface StageOptions {
  /** Local directories and archive files: true = any, an array = only under these roots, false = refused (also file:// git URLs). */
  allowLocalPaths: boolean | string[];
  /** Allow remote sources on loopback/private/link-local hosts (tests, local development). */
  allowPrivateHosts: boolean;
  /** Base URL of GitHub's archive downloads; default https://codeload.github.com. */
  githubBaseUrl?: string;
  /** Total bytes of the recipe's files; default 50 MiB. */
  maxBytes?: number;
  /** Files and directories in the recipe; default 1000. */
  maxFiles?: number;
  /** Bytes of an archive (upload, GitHub download) before decompression; default 100 MiB. */
  maxDownloadBytes?: number;
  /** Whole staging; default 120 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const UNSUPPORTED = 'expected a recipe directory, a .tar.gz file, git+URL[@REF][#PATH] or github://ORG:REPO@REF/PATH';

/** Reads a recipe location as typed by a user (CLI argument, `/submit`'s `recipe_path`); throws RecipeSourceError when unsupported. */
export function parseRecipeSource(text: string): RecipeSource {
  const trimmed = text.trim();
  if (trimmed === '') throw new RecipeSourceError(text, `empty recipe source; ${UNSUPPORTED}`);
  if (parseRemote(trimmed)) return { kind: 'remote', url: trimmed };
  if (/^file:\/\//i.test(trimmed)) return { kind: 'path', path: fileURLToPath(trimmed) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed))
    throw new RecipeSourceError(text, `unsupported recipe source ${JSON.stringify(trimmed)}; ${UNSUPPORTED}`);
  return { kind: 'path', path: trimmed };
}

/** Copies, unpacks, clones or downloads a recipe into a temporary directory, bounded in size and time. */
export async function stageRecipe(source: RecipeSource, options: StageOptions): Promise<StagedRecipe> {
  const limits: StageLimits = {
    ...DEFAULT_LIMITS,
    ...(options.maxBytes !== undefined && { maxBytes: options.maxBytes }),
    ...(options.maxFiles !== undefined && { maxFiles: options.maxFiles }),
    ...(options.maxDownloadBytes !== undefined && { maxDownloadBytes: options.maxDownloadBytes }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  };
  const label = describeSource(source);
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const base = await mkdtemp(path.join(os.tmpdir(), 'ogdc-recipe-'));
  const cleanup = () => rm(base, { recursive: true, force: true });
  const dir = path.join(base, 'recipe');
  const work = stageInto(source, base, dir, options, limits, signal, label);
  try {
    // Local copies and extraction do not watch the signal; the race bounds them too.
    await new Promise<void>((resolve, reject) => {
      const onAbort = () =>
        reject(
          new RecipeSourceUnavailableError(label, `${label}: staging did not finish within ${limits.timeoutMs} ms`, {
            cause: signal.reason,
          }),
        );
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  } catch (error) {
    await cleanup();
    // After a timeout the work may still be writing: remove what it leaves once it stops.
    work.then(cleanup, cleanup).catch(() => undefined);
    throw error;
  }
  return { dir, cleanup };
}

async function stageInto(
  source: RecipeSource,
  base: string,
  dir: string,
  options: StageOptions,
  limits: StageLimits,
  signal: AbortSignal,
  label: string,
): Promise<void> {
  const archiveFile = path.join(base, 'recipe.tar.gz');
  if (source.kind === 'archive') {
    if (source.data.length > limits.maxDownloadBytes)
      throw new RecipeSourceError(label, `${label} is larger than ${limits.maxDownloadBytes} bytes`);
    await writeFile(archiveFile, source.data);
    await extractInto(archiveFile, dir, limits, label);
    return;
  }
  if (source.kind === 'path') {
    const real = await assertLocalPathAllowed(source.path, options.allowLocalPaths, label);
    const info = await stat(real);
    if (info.isDirectory()) return copyRecipeTree(real, dir, limits, label);
    if (info.isFile() && /\.(tar\.gz|tgz|tar)$/i.test(real)) {
      if (info.size > limits.maxDownloadBytes)
        throw new RecipeSourceError(label, `${label} is larger than ${limits.maxDownloadBytes} bytes`);
      await copyFile(real, archiveFile);
      await extractInto(archiveFile, dir, limits, label);
      return;
    }
    throw new RecipeSourceError(label, `${label} is neither a directory nor a .tar.gz archive`);
  }
  const spec = parseRemote(source.url);
  if (!spec) throw new RecipeSourceError(label, `unsupported recipe source ${JSON.stringify(source.url)}; ${UNSUPPORTED}`);
  if (spec.kind === 'github') {
    const baseUrl = options.githubBaseUrl ?? DEFAULT_GITHUB_BASE_URL;
    await downloadGithubArchive(spec, archiveFile, { baseUrl, allowPrivateHosts: options.allowPrivateHosts, limits, signal }, label);
    await extractInto(archiveFile, dir, limits, label, spec.path);
    return;
  }
  const clone = path.join(base, 'clone');
  await cloneRepo(spec.repoUrl, spec.ref, clone, { ...options, timeoutMs: limits.timeoutMs, signal }, label);
  const sub = await realpath(path.join(clone, spec.subpath)).catch(() => undefined);
  const info = sub === undefined ? undefined : await stat(sub);
  if (sub === undefined || !info?.isDirectory()) {
    throw new RecipeSourceError(label, `${label}: the repository has no directory ${JSON.stringify(spec.subpath)}`);
  }
  const realClone = await realpath(clone);
  if (sub !== realClone && !sub.startsWith(realClone + path.sep)) {
    throw new RecipeSourceError(label, `${label}: ${JSON.stringify(spec.subpath)} is a link leaving the repository`);
  }
  // copyRecipeTree refuses links leaving the sub-path, so a recipe cannot reach the rest of the clone.
  await copyRecipeTree(sub, dir, limits, label);
  await rm(clone, { recursive: true, force: true });
}

async function extractInto(file: string, dir: string, limits: StageLimits, label: string, within?: string): Promise<void> {
  await mkdir(dir);
  await extractRecipeArchive(file, dir, limits, label, within);
  await rm(file, { force: true });
}

/** How a source is named in messages. */
function describeSource(source: RecipeSource): string {
  if (source.kind === 'archive') return 'the uploaded recipe archive';
  if (source.kind === 'path') return `recipe path ${JSON.stringify(source.path)}`;
  return `recipe source ${JSON.stringify(source.url)}`;
}
