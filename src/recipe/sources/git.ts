import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecipeSourceError, RecipeSourceUnavailableError } from '../errors.ts';
import { assertPublicHost } from './hosts.ts';

interface CloneOptions {
  /** file:// repositories: true = any, array = only under these roots, false = refused. */
  allowLocalPaths: boolean | string[];
  allowPrivateHosts: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Checks that a local path is allowed by `allowLocalPaths` (true, or under one of its roots) and returns its real path.
 * With roots, the path is first checked as written (absolute, under a root) so that a path outside them is refused
 * before the file system is asked: the answer is the same whether it exists or not. Messages name only what the
 * user gave (`label`), never the resolved path or the working directory.
 */
export async function assertLocalPathAllowed(target: string, allow: boolean | string[], label: string): Promise<string> {
  if (allow === false) throw new RecipeSourceError(label, `${label}: local paths are not accepted here`);
  const outside = () => new RecipeSourceError(label, `${label} is outside the directories recipes may be read from`);
  let roots: string[] = [];
  if (allow !== true) {
    if (!path.isAbsolute(target)) {
      throw new RecipeSourceError(label, `${label}: a server-side recipe path must be absolute`);
    }
    roots = await allowedRoots(allow);
    if (!roots.some((root) => isWithin(path.resolve(target), root))) throw outside();
  }
  const real = await realpath(path.resolve(target)).catch((error: NodeJS.ErrnoException) => {
    throw new RecipeSourceError(label, `${label} does not exist`, { cause: error });
  });
  // A link under a root may still lead out of every root.
  if (allow !== true && !roots.some((root) => isWithin(real, root))) throw outside();
  return real;
}

/** The roots as configured and as resolved (a root may itself be reached through a link). */
async function allowedRoots(roots: string[]): Promise<string[]> {
  const all = new Set<string>();
  for (const root of roots) {
    all.add(path.resolve(root));
    const real = await realpath(root).catch(() => undefined);
    if (real !== undefined) all.add(real);
  }
  return [...all];
}

function isWithin(target: string, root: string): boolean {
  return target === root || target.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** git's arguments: only the https/http/ssh/git transports (and file, when local paths are allowed), no hooks. */
function cloneArgs(repoUrl: string, ref: string | undefined, dest: string, allowFile: boolean): string[] {
  return [
    '-c',
    'protocol.allow=never',
    '-c',
    'protocol.https.allow=always',
    '-c',
    'protocol.http.allow=always',
    '-c',
    'protocol.ssh.allow=always',
    '-c',
    'protocol.git.allow=always',
    '-c',
    `protocol.file.allow=${allowFile ? 'always' : 'never'}`,
    '-c',
    'core.hooksPath=/dev/null',
    'clone',
    '--depth',
    '1',
    '--no-tags',
    '--single-branch',
    ...(ref === undefined ? [] : ['--branch', ref]),
    '--',
    repoUrl,
    dest,
  ];
}

/**
 * `git clone --depth 1 [--branch REF] URL dest`, bounded in time, with no
 * prompts, no hooks and only the https/http/ssh/git/file transports.
 */
export async function cloneRepo(
  repoUrl: string,
  ref: string | undefined,
  dest: string,
  options: CloneOptions,
  label: string,
): Promise<void> {
  let url: URL;
  try {
    url = new URL(repoUrl);
  } catch (error) {
    throw new RecipeSourceError(label, `${label}: ${JSON.stringify(repoUrl)} is not a repository URL`, { cause: error });
  }
  if (url.protocol === 'file:') {
    await assertLocalPathAllowed(fileURLToPath(url), options.allowLocalPaths, label);
  } else {
    await assertPublicHost(url.hostname, options.allowPrivateHosts, label);
  }
  const args = cloneArgs(repoUrl, ref, dest, options.allowLocalPaths !== false);
  await new Promise<void>((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        timeout: options.timeoutMs,
        signal: options.signal,
        maxBuffer: 1024 * 1024,
        env: {
          ...process.env,
          GIT_TERMINAL_PROMPT: '0',
          GIT_ASKPASS: 'true',
          SSH_ASKPASS: 'true',
          GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
        },
      },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const killed = (error as { killed?: boolean }).killed || error.name === 'AbortError';
        const detail = killed
          ? `did not finish within ${options.timeoutMs} ms`
          : String(stderr).trim().split('\n').slice(-3).join(' ') || error.message;
        const missingRef = ref !== undefined && /Remote branch .* not found|couldn't find remote ref/i.test(String(stderr));
        reject(
          missingRef
            ? new RecipeSourceError(label, `${label}: the repository has no branch or tag ${JSON.stringify(ref)}`, { cause: error })
            : new RecipeSourceUnavailableError(label, `${label}: git clone of ${repoUrl} failed: ${detail}`, { cause: error }),
        );
      },
    );
  });
}
