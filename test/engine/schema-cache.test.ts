// The compiled check of Argo's schema kept in the user's cache folder (src/argo/schema.ts): a later process
// loads it instead of compiling, and a copy another user could have written is not trusted.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const SCHEMA = path.resolve(import.meta.dirname, '../../src/argo/schema.ts');

/** Validates a manifest with `entrypoint: 3` in a new process using cache folder `dir`; returns its verdict. */
async function verdictIn(dir: string): Promise<{ valid: boolean }> {
  const script = path.join(dir, '..', `check-${process.pid}.mts`);
  await writeFile(
    script,
    `import { useSchemaCache, validateWorkflowManifest } from ${JSON.stringify(SCHEMA)};
useSchemaCache(${JSON.stringify(dir)});
const wf = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'x' }, spec: { entrypoint: 3 } };
console.log(JSON.stringify(validateWorkflowManifest(wf)));
`,
  );
  const env = { ...process.env, OGDC_SCHEMA_CACHE_DIR: '' };
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { env });
  return JSON.parse(stdout) as { valid: boolean };
}

test('the compiled schema check is kept and reused; a copy writable by others is not used', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ogdc-schema-cache-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = path.join(root, 'cache');
  assert.equal((await verdictIn(dir)).valid, false, 'compiled: entrypoint 3 is refused');
  const [file = '', ...others] = await readdir(dir);
  assert.ok(file?.endsWith('.cjs') && others.length === 0, `one cached validator: ${file} ${others.join(' ')}`);
  // Replace it with a validator that accepts everything: a process that loads the cache answers valid.
  const planted = path.join(dir, file);
  await writeFile(planted, 'module.exports.default = function validate() { return true; };\n', { mode: 0o600 });
  await chmod(planted, 0o600);
  assert.equal((await verdictIn(dir)).valid, true, 'the cached copy is what a later process uses');
  await chmod(planted, 0o666);
  assert.equal((await verdictIn(dir)).valid, false, 'a copy others may write is ignored and the schema compiled');
});
