/**
 * The engines the contract suite (test/engine/contract.test.ts) runs against, behind one shape: the local engine on
 * a fresh database and data dir, and the Argo engine against the Argo Server stand-in (Argo's schema, shapes and
 * errors) with the S3 stand-in as its artifact repository. The stand-in runs no workflow, so a small controller here
 * moves each submitted workflow the way Argo's would for the three kinds of workflow the suite submits.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createArgoEngine } from '../../../src/engine/argo/index.ts';
import { createLocalEngine } from '../../../src/engine/local/index.ts';
import type { Engine, NodeStatus, Workflow } from '../../../src/engine/types.ts';
import { validateWorkflowManifest } from '../../../src/argo/schema.ts';
import { dbTargets } from '../../helpers/db.ts';
import { startArgoStandin, type ArgoStandin } from '../../standins/argo-server.ts';
import { startS3Standin } from '../../standins/s3-server.ts';

export interface Subject {
  name: 'local' | 'argo';
  engine: Engine;
  /** What `claimFolder('contract-claim')` must answer on this engine. */
  claimFolder: string | undefined;
  close(): Promise<void>;
}

export const NAMESPACE = 'contract';

/** A local engine on a fresh database and data dir. */
export async function localSubject(): Promise<Subject> {
  const db = await dbTargets()[0]!.open();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-contract-'));
  const engine = await createLocalEngine({ db, dataDir, namespace: NAMESPACE, sandbox: 'auto', maxProcesses: 4, log: () => {} });
  return {
    name: 'local',
    engine,
    claimFolder: path.join(path.resolve(dataDir), 'volumes', 'contract-claim'),
    async close() {
      await engine.close();
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

type Template = { name?: string; container?: { command?: string[]; args?: string[] }; suspend?: object };

/** The entry template of a submitted workflow. */
function entryOf(wf: Workflow): Template {
  const spec = wf.spec as { entrypoint?: string; templates?: Template[] };
  return spec.templates?.find((t) => t.name === spec.entrypoint) ?? {};
}

function rootNode(wf: Workflow, type: NodeStatus['type'], phase: NodeStatus['phase']): Record<string, NodeStatus> {
  const name = wf.metadata.name!;
  const node: NodeStatus = { id: name, name, displayName: name, type, templateName: entryOf(wf).name, phase, startedAt: now() };
  if (phase === 'Succeeded') node.finishedAt = now();
  return { [name]: node };
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Argo's controller, as far as the suite needs it: a suspend template waits Running until resumed; a container runs
 * and logs what its script echoes, then keeps running if the script sleeps, else succeeds. Each step is a separate
 * change, as the controller's reconciliations are.
 */
function controller(argo: () => ArgoStandin): { onSubmit(wf: Workflow): void; onResume(wf: Workflow): void } {
  const later = (fn: () => void) => void setTimeout(fn, 5);
  return {
    onSubmit(wf) {
      const name = wf.metadata.name!;
      const entry = entryOf(wf);
      const startedAt = now();
      if (entry.suspend) {
        later(() => argo().setStatus(name, { phase: 'Running', startedAt, nodes: rootNode(wf, 'Suspend', 'Running') }));
        return;
      }
      const script = [...(entry.container?.command ?? []), ...(entry.container?.args ?? [])].join(' ');
      later(() => {
        argo().setStatus(name, { phase: 'Running', startedAt, progress: '0/1', nodes: rootNode(wf, 'Pod', 'Running') });
        const echoed = /\becho ([^;]*)/.exec(script)?.[1];
        if (echoed !== undefined) argo().setLogs(name, [{ podName: name, content: echoed }]);
        if (/\bsleep\b/.test(script)) return;
        later(() =>
          argo().setStatus(name, {
            phase: 'Succeeded',
            startedAt,
            finishedAt: now(),
            progress: '1/1',
            nodes: rootNode(wf, 'Pod', 'Succeeded'),
          }),
        );
      });
    },
    onResume(wf) {
      later(() => argo().setStatus(wf.metadata.name!, { ...wf.status, phase: 'Succeeded', finishedAt: now() }));
    },
  };
}

/** The Argo engine against the Argo Server stand-in, key-only artifacts in the S3 stand-in. */
export async function argoSubject(): Promise<Subject> {
  // The stand-in checks manifests against Argo's schema: compile it before the first submit.
  validateWorkflowManifest({});
  // The controller reaches the stand-in it was started with only once a workflow is submitted.
  const standin: { argo?: ArgoStandin } = {};
  const argo = await startArgoStandin(controller(() => standin.argo!));
  standin.argo = argo;
  const keys = { accessKeyId: 'contract-access', secretAccessKey: 'contract-secret', bucket: 'argo-workflows' };
  const s3 = await startS3Standin(keys);
  const engine = createArgoEngine({
    serviceUrl: argo.url,
    namespace: NAMESPACE,
    timeoutMs: 10_000,
    watchLabelSelector: 'contract',
    s3: { ...keys, internalEndpointUrl: s3.url, publicEndpointUrl: s3.url, region: 'us-east-1' },
  });
  return {
    name: 'argo',
    engine,
    claimFolder: undefined,
    async close() {
      await engine.close();
      await argo.close();
      await s3.close();
    },
  };
}
