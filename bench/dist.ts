/**
 * The compiled service users run: `scripts/build.mjs` (what `npm ci` runs as
 * `prepare`) compiles src/ to dist/, and bin/ogdc-runner.js runs dist/ only
 * while it is newer than every source file. The benchmark builds once at the
 * start and checks freshness before each launch, because other engineers edit
 * src/ while it runs: a stale dist/ would silently measure the tsx path.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { BenchSetupError } from './errors.ts';
import { REPO_ROOT } from './service.ts';

/** How bin/ogdc-runner.js ran the service: the compiled dist/ or the sources through tsx. */
export type ServiceRunner = 'dist' | 'sources';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** The check bin/ogdc-runner.js makes: dist/.built-at is newer than every file under src/. */
export function distIsFresh(): boolean {
  try {
    const builtAt = Number(readFileSync(path.join(REPO_ROOT, 'dist/.built-at'), 'utf8'));
    return builtAt > newestSource(path.join(REPO_ROOT, 'src'));
  } catch {
    return false;
  }
}

/** Runs `node scripts/build.mjs`; throws when it fails or leaves dist/ stale. */
export async function buildDist(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [path.join(REPO_ROOT, 'scripts/build.mjs')], { cwd: REPO_ROOT, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) reject(new BenchSetupError('node scripts/build.mjs', `${err.message}\n${stdout}${stderr}`, { cause: err }));
      else resolve();
    });
  });
  if (!distIsFresh())
    throw new BenchSetupError('node scripts/build.mjs', 'dist/ is still older than a file under src/ right after the build');
}

/** Rebuilds dist/ when a source changed since the last build, so the next launch runs the compiled code. */
export async function ensureFreshDist(progress: (line: string) => void): Promise<void> {
  if (distIsFresh()) return;
  progress('a file under src/ changed since the build: rebuilding dist/');
  await buildDist();
}
