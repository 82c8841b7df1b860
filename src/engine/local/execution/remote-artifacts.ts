/**
 * `http` and `git` input artifacts (workflow/artifacts/http/http.go, git/git.go), fetched by the engine into the
 * pod's path. Unless `allowPrivateHttp`, hosts that are or resolve to loopback/private/link-local addresses are
 * refused and git may use only https, http, ssh and git transports (with it, file:// too).
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Obj, RunContext } from './context.ts';
import { openUrl, requestError } from './http.ts';
import { assertPublicHost } from '../../../recipe/sources/hosts.ts';

/** The remote source of an input artifact. */
export interface RemoteSource {
  http?: Obj;
  git?: Obj;
}

/** How long one artifact may take to fetch. */
const FETCH_TIMEOUT_MS = 10 * 60 * 1000;

/** Fetches `source` to `dest` (a path in the pod's layer that does not exist yet); throws with Argo's wording. */
export async function loadRemoteArtifact(ctx: RunContext, source: RemoteSource, dest: string): Promise<void> {
  if (source.http) return loadHttp(ctx, source.http, dest);
  if (source.git) return loadGit(ctx, source.git, dest);
}

async function loadHttp(ctx: RunContext, spec: Obj, dest: string): Promise<void> {
  const url = String(spec.url ?? '');
  const headers: Array<[string, string]> = ((spec.headers as Obj[] | undefined) ?? []).map((h) => [String(h.name), String(h.value ?? '')]);
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  let res;
  try {
    res = await openUrl({ url, method: 'GET', headers, body: Buffer.alloc(0), insecure: false }, ctx.allowPrivateHttp, signal);
  } catch (err) {
    throw new Error(requestError('GET', url, err, signal.aborted));
  }
  const status = `${res.statusCode} ${res.statusMessage ?? ''}`.trim();
  if (res.statusCode === 404) {
    res.resume();
    throw new Error(status);
  }
  if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
    res.resume();
    throw new Error(`loading content from ${url} failed with reason: ${status}`);
  }
  const max = ctx.limits.outputMb * 1024 * 1024;
  let size = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      done(size > max ? new Error(`artifact larger than OGDC_LOCAL_STEP_OUTPUT_MB (${ctx.limits.outputMb})`) : null, chunk);
    },
  });
  try {
    await pipeline(res, cap, createWriteStream(dest, { flags: 'wx' }));
  } catch (err) {
    await rm(dest, { force: true });
    throw err;
  }
}

function git(args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd,
        timeout: FETCH_TIMEOUT_MS,
        maxBuffer: 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: '/nonexistent',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_TERMINAL_PROMPT: '0',
          GIT_ASKPASS: 'true',
          SSH_ASKPASS: 'true',
          GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
        },
      },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const text = String(stderr).trim().split('\n').filter(Boolean).pop();
        reject(new Error(text || error.message));
      },
    );
  });
}

/** Refuses a repository whose host is private (unless allowed) or not one of git's network transports, and dashed refs. */
async function checkGitSource(ctx: RunContext, spec: Obj): Promise<void> {
  const repo = String(spec.repo ?? '');
  const allowPrivate = ctx.allowPrivateHttp;
  let url: URL | undefined;
  try {
    url = new URL(repo);
  } catch {
    // scp-like `git@host:path`: the host is before the colon.
  }
  const scp = /^(?:[^@/]+@)?([^:/]+):/.exec(repo);
  const host = url && url.protocol !== 'file:' ? url.hostname : !url && scp ? scp[1]! : undefined;
  if (host === undefined && !allowPrivate)
    throw new Error(`failed to clone "${repo}": only https, http, ssh and git repositories are allowed`);
  if (host !== undefined) await assertPublicHost(host, allowPrivate, `failed to clone "${repo}"`);
  const dashed = [spec.revision, spec.branch, ...((spec.fetch as unknown[] | undefined) ?? [])].find(
    (x) => typeof x === 'string' && x.startsWith('-'),
  );
  if (dashed !== undefined) throw new Error(`failed to clone "${repo}": ${JSON.stringify(dashed)} may not start with "-"`);
  if (spec.singleBranch === true && !spec.branch) throw new Error('single branch mode without a branch specified');
}

async function loadGit(ctx: RunContext, spec: Obj, dest: string): Promise<void> {
  await checkGitSource(ctx, spec);
  const repo = String(spec.repo ?? '');
  const allowPrivate = ctx.allowPrivateHttp;
  const config = [
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
    `protocol.file.allow=${allowPrivate ? 'always' : 'never'}`,
    '-c',
    'core.hooksPath=/dev/null',
  ];
  const depth = Number(spec.depth ?? 0);
  try {
    await git([
      ...config,
      'clone',
      '--quiet',
      ...(depth > 0 ? ['--depth', String(depth)] : []),
      ...(spec.singleBranch === true ? ['--single-branch', '--branch', String(spec.branch)] : []),
      '--',
      repo,
      dest,
    ]);
  } catch (err) {
    throw new Error(`failed to clone "${repo}": ${(err as Error).message}`);
  }
  const fetch = (spec.fetch as string[] | undefined) ?? [];
  if (fetch.length > 0) {
    await git([...config, 'fetch', '--quiet', ...(depth > 0 ? ['--depth', String(depth)] : []), 'origin', ...fetch], dest).catch(
      (err: Error) => {
        throw new Error(`failed to fetch [${fetch.join(' ')}]: ${err.message}`);
      },
    );
  }
  if (spec.revision !== undefined && spec.revision !== '') {
    const revision = String(spec.revision);
    await git([...config, 'checkout', '--quiet', '--detach', revision, '--'], dest).catch((err: Error) => {
      throw new Error(`failed to get resolve revision: ${err.message}`);
    });
  }
  if (spec.disableSubmodules !== true) {
    // Submodule hosts are not checked, so without allowPrivateHttp a repository that has any is refused.
    if (!allowPrivate && (await stat(path.join(dest, '.gitmodules')).catch(() => undefined)))
      throw new Error(
        'failed to update submodules: submodules are not fetched here (their hosts are not checked); set disableSubmodules: true',
      );
    await git([...config, 'submodule', '--quiet', 'update', '--init', '--recursive'], dest).catch((err: Error) => {
      throw new Error(`failed to update submodules: ${err.message}`);
    });
  }
}
