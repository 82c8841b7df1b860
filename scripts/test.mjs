// Runs every test file under test/ (or those given as arguments) with node's
// test runner through tsx, and prints the runner's TAP summary (# pass / # fail).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function find(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return find(full);
    return entry.endsWith('.test.ts') ? [full] : [];
  });
}

const args = process.argv.slice(2);
const files = args.length > 0 ? args : find('test').sort();
// Argo's schema check is compiled by the first test file that needs it and loaded by the others.
const schemaCache = mkdtempSync(path.join(os.tmpdir(), 'ogdc-test-schema-'));
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-concurrency=2', '--test-timeout=300000', ...files],
  { stdio: 'inherit', env: { OGDC_SCHEMA_CACHE_DIR: schemaCache, ...process.env } },
);
rmSync(schemaCache, { recursive: true, force: true });
process.exit(result.status ?? 1);
