// Runs Argo's top-level examples (test/engine/local/argo-examples) on the local engine and prints how each
// compares with Argo's result: `node --import tsx scripts/argo-examples.ts [FILE...]`. Each example may run for
// EXAMPLE_TIMEOUT_MS (default 300 s: some, e.g. synchronization-mutex-tmpl-level, take Argo four minutes).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLocalEngine } from '../src/engine/local/index.ts';
import { openPglite } from '../src/db/pglite.ts';
import { migrate } from '../src/db/migrate.ts';
import { exampleFiles, runExamples, summary } from '../test/engine/local/argo-examples-runner.ts';

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-argo-examples-'));
const db = await openPglite(undefined);
await migrate(db);
const engine = await createLocalEngine({ db, dataDir, sandbox: 'auto', maxProcesses: 6, log: () => undefined });
const files = process.argv.length > 2 ? process.argv.slice(2) : await exampleFiles();
const results = await runExamples(engine, files, { timeoutMs: Number(process.env.EXAMPLE_TIMEOUT_MS ?? 300000), concurrency: 6 });
for (const r of results) console.log(`${r.verdict.padEnd(8)} ${r.file.padEnd(55)} ${r.detail.slice(0, 200)}`);
console.log(JSON.stringify(summary(results)));
await engine.close();
await db.close();
await rm(dataDir, { recursive: true, force: true });
