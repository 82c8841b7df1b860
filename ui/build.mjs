// Bundles the web page (ui/src) into ui/build: one script, one stylesheet and index.html,
// no inline code, so the page runs under a strict Content-Security-Policy. Run by
// scripts/build.mjs at `npm ci`, and by the browser tests before they start.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
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
  // Compressed once here; the service sends the .br or .gz copy to a browser that accepts it.
  for (const name of readdirSync(outdir)) {
    const data = readFileSync(path.join(outdir, name));
    writeFileSync(path.join(outdir, `${name}.br`), brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
    writeFileSync(path.join(outdir, `${name}.gz`), gzipSync(data, { level: 9 }));
  }
  return outdir;
}

if (process.argv[1] === new URL(import.meta.url).pathname) await buildUi();
