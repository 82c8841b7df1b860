// Bundles the web page (ui/src) into ui/build: one script, one stylesheet and index.html,
// no inline code, so the page runs under a strict Content-Security-Policy. Run by
// scripts/build.mjs at `npm ci`, and by the browser tests before they start.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);

export async function buildUi(outdir = path.join(here, 'build')) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: [path.join(here, 'src', 'main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outfile: path.join(outdir, 'app.js'),
    legalComments: 'none',
    logLevel: 'warning',
  });
  copyFileSync(path.join(here, 'index.html'), path.join(outdir, 'index.html'));
  copyFileSync(path.join(here, 'style.css'), path.join(outdir, 'style.css'));
  return outdir;
}

if (process.argv[1] === new URL(import.meta.url).pathname) await buildUi();
