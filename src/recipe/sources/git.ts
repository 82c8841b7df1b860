import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecipeSourceError, RecipeSourceUnavailableError } from '../errors.ts';
import { assertPublicHost } from './hosts.ts';

export interface CloneOptions {
  /** file:// repositories: true = any, array = only under these roots, false = refused. */
  allowLocalPaths: boolean | string[];
  allowPrivateHosts: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Checks that a local path is allowed by `allowLocalPaths` (true, or under one of its roots). */
export async function assertLocalPathAllowed(target: string, allow: boolean | string[], label: string): Promise<string> {
  if (allow === false) throw new RecipeSourceError(label, `${label}: local paths are not accepted here`);
  const real = await realpath(target).catch((error: NodeJS.ErrnoException) => {
    throw new RecipeSourceError(label, `${label}: ${JSON.stringify(target)} does not exist`, { cause: error });
  });
  if (allow === true) return real;
  for (const root of allow) {
    const realRoot = await realpath(root).catch(() => undefined);
    if (realRoot !== undefined && (real === realRoot || real.startsWith(realRoot + path.sep))) return real;
  }
  throw new RecipeSourceError(label, `${label}: ${JSON.stringify(target)} is outside the directories recipes may be read from`);
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
  const args = [
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
    `protocol.file.allow=${options.allowLocalPaths === false ? 'never' : 'always'}`,
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
