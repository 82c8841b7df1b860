#!/usr/bin/env node
// Runs the compiled dist/ (built by `npm ci`) when it is newer than every
// source file, otherwise the TypeScript sources through tsx, so an edited
// checkout never runs stale code and a fresh clone works right after `npm ci`.
import { readFileSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const url = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(url) : statSync(url).mtimeMs);
  }
  return newest;
}

function distIsFresh() {
  try {
    const builtAt = Number(readFileSync(new URL('dist/.built-at', root), 'utf8'));
    return builtAt > newestSource(new URL('src/', root));
  } catch {
    return false;
  }
}

let main;
if (process.env.OGDC_RUN_SOURCES !== '1' && distIsFresh()) {
  ({ main } = await import('../dist/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
