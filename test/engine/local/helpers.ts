import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { createLocalEngine, type LocalEngine } from '../../../src/engine/local/index.ts';
import { parseWorkflowText, readWorkflowFile } from '../../../src/engine/local/admission/manifest-file.ts';
import type { NodeStatus, Workflow } from '../../../src/engine/types.ts';
import type { Db } from '../../../src/db/types.ts';
import { dbTargets } from '../../helpers/db.ts';
import type { Registry } from 'prom-client';
import type { StepLimits } from '../../../src/engine/local/pods/limits.ts';

// Copies of Argo's examples/ (with Argo's LICENSE), byte-identical to shared/argo/examples for the files there.
export const EXAMPLES = path.join(import.meta.dirname, 'argo-examples');

interface Harness {
  engine: LocalEngine;
  db: Db;
  dataDir: string;
  logs: string[];
}

/** A local engine on a fresh in-memory PGlite and a temporary data dir, closed after the test. */
export async function harness(
  t: TestContext,
  options: {
    sandbox?: 'auto' | 'bwrap' | 'none';
    maxProcesses?: number;
    db?: Db;
    dataDir?: string;
    limits?: Partial<StepLimits>;
    networkToolsPath?: string;
    allowPrivateHttp?: boolean;
    metricsRegistry?: Registry;
  } = {},
): Promise<Harness> {
  const db = options.db ?? (await dbTargets()[0]!.open());
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'ogdc-local-')));
  const logs: string[] = [];
  const engine = await createLocalEngine({
    db,
    dataDir,
    sandbox: options.sandbox ?? 'auto',
    maxProcesses: options.maxProcesses ?? 4,
    limits: options.limits,
    allowPrivateHttp: options.allowPrivateHttp,
    networkToolsPath: options.networkToolsPath,
    metricsRegistry: options.metricsRegistry,
    log: (m) => logs.push(m),
  });
  t.after(async () => {
    await engine.close();
    if (!options.db) await db.close();
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  return { engine, db, dataDir, logs };
}

export async function example(name: string): Promise<Workflow> {
  return readWorkflowFile(path.join(EXAMPLES, `${name}.yaml`));
}

export function manifest(yaml: string): Workflow {
  return parseWorkflowText(yaml, 'inline');
}

/**
 * A one-pod workflow whose container runs `script` with `sh -c`; `extra` is YAML added to the template (at its
 * indentation). `metadata` names it (`{name: x}`) or gives its generateName (`{generateName: x-}`).
 */
export function shellPod(metadata: string, script: string, extra = ''): Workflow {
  return manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: ${metadata}
spec:
  entrypoint: main
  templates:
  - name: main
${extra}
    container:
      image: busybox
      command: [sh, -c]
      args:
      - ${JSON.stringify(script)}
`);
}

/** Submits and waits for the final workflow. */
export async function run(engine: LocalEngine, wf: Workflow, parameters?: Record<string, string>): Promise<Workflow> {
  const submitted = await engine.submit(wf, { parameters });
  return engine.wait(submitted.metadata.name!);
}

export function nodes(wf: Workflow): NodeStatus[] {
  return Object.values(wf.status?.nodes ?? {});
}

export function nodeByDisplay(wf: Workflow, displayName: string): NodeStatus {
  const found = nodes(wf).filter((n) => n.displayName === displayName);
  if (found.length !== 1)
    throw new Error(
      `expected one node named ${displayName}, found ${found.length}: ${nodes(wf)
        .map((n) => n.displayName)
        .join(', ')}`,
    );
  return found[0]!;
}

/** All log lines of a finished workflow, as `content` strings per pod. */
export async function logText(engine: LocalEngine, name: string, node?: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const l of engine.logs(name, { node })) lines.push(l.content);
  return lines;
}
