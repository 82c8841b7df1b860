// Resume on the Argo engine: PUT …/set for supplied outputs, then PUT …/resume (util.go:ResumeWorkflow).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createArgoEngine } from '../../../src/engine/argo/index.ts';
import { ResumeRejectedError, WorkflowNotSuspendedError } from '../../../src/engine/errors.ts';
import type { Engine, NodeStatus } from '../../../src/engine/types.ts';
import { startArgoStandin, type ArgoStandin } from '../../standins/argo-server.ts';
import { helloManifest } from './fixtures.ts';

let argo: ArgoStandin;
let engine: Engine;

before(async () => {
  argo = await startArgoStandin();
  engine = createArgoEngine({ serviceUrl: argo.url, namespace: 'qgnet', timeoutMs: 2000 });
});
after(async () => {
  await engine.close();
  await argo.close();
});

function suspendNode(wf: string, withDefault: boolean): NodeStatus {
  const param = { name: 'message', valueFrom: { supplied: {}, ...(withDefault ? { default: 'dflt' } : {}) } };
  return {
    id: `${wf}-1`,
    name: `${wf}[0].approve`,
    displayName: 'approve',
    type: 'Suspend',
    templateName: 'approve',
    phase: 'Running',
    boundaryID: wf,
    outputs: { parameters: [param as { name: string }] },
  };
}

test('resume sets the supplied output on its node, then resumes; the node succeeds with the value', async () => {
  const name = (await engine.submit(helloManifest())).metadata.name!;
  argo.setStatus(name, { phase: 'Running', nodes: { [`${name}-1`]: suspendNode(name, false) } });
  const before = argo.requests.length;
  await engine.resume(name, { parameters: { message: 'go' } });
  assert.deepEqual(
    argo.requests.slice(before).map((r) => `${r.method} ${r.path}`),
    [`GET /api/v1/workflows/qgnet/${name}`, `PUT /api/v1/workflows/qgnet/${name}/set`, `PUT /api/v1/workflows/qgnet/${name}/resume`],
  );
  const node = argo.workflows.get(name)!.status!.nodes![`${name}-1`]!;
  assert.equal(node.phase, 'Succeeded');
  assert.deepEqual(node.outputs?.parameters, [{ name: 'message', value: 'go' }]);
  await assert.rejects(engine.resume(name), WorkflowNotSuspendedError);
});

test('resume without a value for an output with no default is refused with Argo message', async () => {
  const name = (await engine.submit(helloManifest())).metadata.name!;
  argo.setStatus(name, { phase: 'Running', nodes: { [`${name}-1`]: suspendNode(name, false) } });
  await assert.rejects(
    engine.resume(name),
    (e: unknown) => e instanceof ResumeRejectedError && /raw output parameter 'message' has not been set/.test(e.message),
  );
  await assert.rejects(engine.resume(name, { parameters: { nope: 'x' } }), /not expecting output parameter 'nope'/);
  argo.setStatus(name, { phase: 'Running', nodes: { [`${name}-1`]: suspendNode(name, true) } });
  await engine.resume(name);
  assert.deepEqual(argo.workflows.get(name)!.status!.nodes![`${name}-1`]!.outputs?.parameters, [{ name: 'message', value: 'dflt' }]);
});
