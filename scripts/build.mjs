// Compiles src/ to dist/ (type checking is `npm run typecheck`'s job, so a
// type error never blocks an install) and copies the files the code reads at
// run time (SQL migrations, helper scripts). Runs on `npm ci` (prepare).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
// Built beside dist/ and renamed into place, so a command started meanwhile never finds dist/ half written.
const next = path.join(root, 'dist.next');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(next, { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--noCheck', '--outDir', next], {
  stdio: 'inherit',
});
if (result.status !== 0) process.exit(result.status ?? 1);

function copyAssets(dir) {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) copyAssets(full);
    else if (/\.(sql|mjs|json|sh)$/.test(entry)) {
      const target = path.join(next, path.relative(path.join(root, 'src'), full));
      mkdirSync(path.dirname(target), { recursive: true });
      cpSync(full, target);
    }
  }
}
copyAssets(path.join(root, 'src'));
// The web page, bundled by esbuild into ui/build (served at /ui/).
await (await import('../ui/build.mjs')).buildUi();
// bin/ogdc-runner.js runs dist/ only while it is newer than every source file.
writeFileSync(path.join(next, '.built-at'), `${Date.now()}\n`);
const old = path.join(root, 'dist.old');
rmSync(old, { recursive: true, force: true });
if (existsSync(dist)) renameSync(dist, old);
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
