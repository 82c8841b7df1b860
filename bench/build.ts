/**
 * A compiled copy of the service (tsc → plain JS), to measure what running
 * without the tsx loader would save. Built next to `src` so the relative
 * paths the code resolves (package.json, the Argo schema, migrations) hold.
 */
import { execFile } from 'node:child_process';
import { cp, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BenchSetupError } from './errors.ts';
import { REPO_ROOT } from './service.ts';

export const BUILD_DIR = path.join(REPO_ROOT, '.bench-dist');

export interface CompiledService {
  /** The entry script: `node ENTRY serve …` runs the compiled CLI. */
  entry: string;
  remove(): Promise<void>;
}

// tsc copies no assets: the SQL migrations and plain .mjs helpers come along by hand.
async function copyAssets(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) await copyAssets(source, path.join(to, entry.name));
    else if (entry.name.endsWith('.sql') || entry.name.endsWith('.mjs')) await cp(source, path.join(to, entry.name));
  }
}

/** Compiles `src` with tsconfig.build.json into BUILD_DIR (type errors do not stop emitting). */
export async function buildService(): Promise<CompiledService> {
  await rm(BUILD_DIR, { recursive: true, force: true });
  const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], { cwd: REPO_ROOT, timeout: 300_000 }, (err, stdout) => {
      // tsc exits non-zero on type errors but still emits; only a missing output is fatal.
      if (err && !stdout) reject(new BenchSetupError('tsc build', err.message, { cause: err }));
      else resolve();
    });
  });
  const entry = path.join(BUILD_DIR, 'entry.mjs');
  try {
    await copyAssets(path.join(REPO_ROOT, 'src'), BUILD_DIR);
    await writeFile(entry, "import { main } from './cli/main.js';\nprocess.exitCode = await main(process.argv.slice(2));\n");
  } catch (err) {
    await rm(BUILD_DIR, { recursive: true, force: true });
    throw new BenchSetupError('tsc build', `could not complete ${BUILD_DIR}: ${(err as Error).message}`, { cause: err });
  }
  return { entry, remove: () => rm(BUILD_DIR, { recursive: true, force: true }) };
}
