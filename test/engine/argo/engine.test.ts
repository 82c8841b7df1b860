import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createArgoEngine } from '../../../src/engine/argo/index.ts';
import { ManifestRejectedError, WorkflowNotFoundError } from '../../../src/engine/errors.ts';
import type { Engine, LogLine, NodeStatus } from '../../../src/engine/types.ts';
import { startArgoStandin, type ArgoStandin } from '../../standins/argo-server.ts';
import { helloManifest } from './fixtures.ts';
import { validateWorkflowManifest } from '../../../src/argo/schema.ts';

let argo: ArgoStandin;
let engine: Engine;

before(async () => {
  // The stand-in checks manifests against Argo's schema: compile it before the first submit, which has a 2 s timeout.
  validateWorkflowManifest({});
  argo = await startArgoStandin();
  engine = createArgoEngine({ serviceUrl: argo.url, namespace: 'qgnet', timeoutMs: 2000 });
});
after(async () => {
  await engine.close();
  await argo.close();
});

async function collect(lines: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

function podNode(wf: string, id: string, displayName: string, phase: NodeStatus['phase']): NodeStatus {
  return { id, name: `${wf}.${displayName}`, displayName, type: 'Pod', templateName: displayName, phase, boundaryID: wf };
}

test('submit creates the workflow with Argo generated name, namespace, uid and Pending phase', async () => {
  const created = await engine.submit(helloManifest());
  assert.match(created.metadata.name ?? '', /^hello-world-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.equal(created.metadata.namespace, 'qgnet');
  assert.ok(created.metadata.uid);
  assert.equal(created.status?.phase, 'Pending');
  assert.ok(argo.workflows.has(created.metadata.name!));
  assert.deepEqual(argo.requests.at(-1), {
    method: 'POST',
    path: '/api/v1/workflows/qgnet',
    query: '',
    authorization: undefined,
  });
});

test('submit applies -p parameters to spec.arguments.parameters before sending', async () => {
  const created = await engine.submit(helloManifest(), { parameters: { message: 'bonjour' } });
  const stored = argo.workflows.get(created.metadata.name!)!;
  assert.deepEqual((stored.spec.arguments as { parameters: unknown[] }).parameters, [
    { name: 'message', value: 'bonjour' },
    { name: 'count', value: '1' },
  ]);
});

test('a manifest that breaks Argo schema is rejected with ManifestRejectedError carrying Argo message', async () => {
  const bad = helloManifest();
  (bad.spec.templates as Array<Record<string, unknown>>)[0]!.name = 42;
  await assert.rejects(engine.submit(bad), (err: unknown) => {
    assert.ok(err instanceof ManifestRejectedError, String(err));
    assert.match(err.message, /\/spec\/templates\/0\/name: must be string/);
    assert.equal(err.field, '/spec/templates/0/name');
    return true;
  });
});

test('an entrypoint naming no template is rejected, naming spec.entrypoint', async () => {
  const bad = helloManifest();
  bad.spec.entrypoint = 'nowhere';
  await assert.rejects(engine.submit(bad), (err: unknown) => {
    assert.ok(err instanceof ManifestRejectedError);
    assert.equal(err.message, "spec.entrypoint template 'nowhere' undefined");
    assert.equal(err.field, 'spec.entrypoint');
    return true;
  });
});

test('submitting a fixed name that already exists is rejected naming metadata.name', async () => {
  const manifest = helloManifest();
  manifest.metadata = { name: 'fixed-name' };
  await engine.submit(manifest);
  await assert.rejects(engine.submit(manifest), (err: unknown) => {
    assert.ok(err instanceof ManifestRejectedError);
    assert.equal(err.message, 'workflows.argoproj.io "fixed-name" already exists');
    assert.equal(err.field, 'metadata.name');
    return true;
  });
});

test('get returns the status Argo reports, including output artifacts of nodes', async () => {
  const { metadata } = await engine.submit(helloManifest());
  const name = metadata.name!;
  const publish = podNode(name, `${name}-1`, 'publish', 'Succeeded');
  publish.outputs = { artifacts: [{ name: 'published_zip', s3: { key: `${name}/recipe.zip` } }] };
  argo.setStatus(name, { phase: 'Succeeded', progress: '1/1', nodes: { [publish.id]: publish } });
  const wf = await engine.get(name);
  assert.equal(wf.status?.phase, 'Succeeded');
  assert.equal(wf.status?.progress, '1/1');
  assert.deepEqual(wf.status?.nodes?.[publish.id]?.outputs?.artifacts?.[0], { name: 'published_zip', s3: { key: `${name}/recipe.zip` } });
});

test('get, stop, delete and logs of an unknown workflow throw WorkflowNotFoundError', async () => {
  for (const call of [
    () => engine.get('no-such-wf'),
    () => engine.stop('no-such-wf'),
    () => engine.delete('no-such-wf'),
    () => collect(engine.logs('no-such-wf')),
  ]) {
    await assert.rejects(call(), (err: unknown) => err instanceof WorkflowNotFoundError && err.workflowName === 'no-such-wf');
  }
});

test('list returns only the workflows whose labels match the selector', async () => {
  const a = await engine.submit(helloManifest({ 'ogdc/recipe-id': 'list-a', 'ogdc/submitter': 'ann' }));
  await engine.submit(helloManifest({ 'ogdc/recipe-id': 'list-b', 'ogdc/submitter': 'ann' }));
  const found = await engine.list('ogdc/recipe-id=list-a,ogdc/submitter=ann');
  assert.deepEqual(
    found.map((w) => w.metadata.name),
    [a.metadata.name],
  );
  assert.deepEqual(await engine.list('ogdc/recipe-id=nothing-has-this'), []);
  assert.equal(argo.requests.at(-1)?.query, `?listOptions.labelSelector=${encodeURIComponent('ogdc/recipe-id=nothing-has-this')}`);
});

test('logs yields each node line of the NDJSON stream, and one node by id', async () => {
  const { metadata } = await engine.submit(helloManifest());
  const name = metadata.name!;
  const fetch = podNode(name, `${name}-11`, 'fetch', 'Succeeded');
  const step = podNode(name, `${name}-22`, 'step-1', 'Succeeded');
  argo.setStatus(name, { phase: 'Succeeded', nodes: { [fetch.id]: fetch, [step.id]: step } });
  const all = await collect(engine.logs(name));
  assert.deepEqual(
    all.map((l) => l.content),
    ['fetch: done', 'step-1: done'],
  );
  assert.match(all[0]!.podName, new RegExp(`^${name}-fetch-\\d+$`));
  const one = await collect(engine.logs(name, { node: step.id }));
  assert.deepEqual(one, [all[1]]);
  assert.match(argo.requests.at(-1)?.query ?? '', /logOptions\.container=main&logOptions\.follow=false/);
});

test('followed logs deliver lines as they come and end when the workflow finishes', async () => {
  const { metadata } = await engine.submit(helloManifest());
  const name = metadata.name!;
  argo.setStatus(name, { phase: 'Running' });
  argo.setLogs(name, [{ podName: `${name}`, content: 'first' }]);
  const seen: string[] = [];
  for await (const line of engine.logs(name, { follow: true })) {
    seen.push(line.content);
    if (line.content === 'first') argo.appendLog(name, { podName: name, content: 'second' });
    if (line.content === 'second') argo.setStatus(name, { phase: 'Succeeded' });
  }
  assert.deepEqual(seen, ['first', 'second']);
  assert.match(argo.requests.at(-1)?.query ?? '', /logOptions\.follow=true/);
});

test('stop ends a running workflow Failed with Argo message; stopping a finished one is a no-op', async () => {
  const { metadata } = await engine.submit(helloManifest());
  const name = metadata.name!;
  argo.setStatus(name, { phase: 'Running' });
  await engine.stop(name);
  const wf = await engine.get(name);
  assert.equal(wf.status?.phase, 'Failed');
  assert.equal(wf.status?.message, "Stopped with strategy 'Stop'");
  const before = argo.requests.length;
  await engine.stop(name);
  assert.deepEqual(
    argo.requests.slice(before).map((r) => `${r.method} ${r.path}`),
    [`PUT /api/v1/workflows/qgnet/${name}/stop`],
  );
});

test('delete removes the workflow', async () => {
  const { metadata } = await engine.submit(helloManifest());
  await engine.delete(metadata.name!);
  assert.equal(argo.workflows.has(metadata.name!), false);
  await assert.rejects(engine.get(metadata.name!), WorkflowNotFoundError);
});

test('ping answers when the server reports its version', async () => {
  await engine.ping();
  assert.equal(argo.requests.at(-1)?.path, '/api/v1/version');
});

test('workflows of another namespace are not visible', async () => {
  const other = createArgoEngine({ serviceUrl: argo.url, namespace: 'elsewhere' });
  const { metadata } = await engine.submit(helloManifest());
  await assert.rejects(other.get(metadata.name!), WorkflowNotFoundError);
  await other.close();
});

test('the stand-in onSubmit hook can move a new workflow along like a controller', async (t) => {
  const driven = await startArgoStandin({
    onSubmit: (wf) => driven.setStatus(wf.metadata.name!, { phase: 'Running', progress: '0/1' }),
  });
  t.after(() => driven.close());
  const client = createArgoEngine({ serviceUrl: driven.url, namespace: 'qgnet' });
  t.after(() => client.close());
  const created = await client.submit(helloManifest());
  assert.equal(created.status?.phase, 'Pending');
  assert.equal((await client.get(created.metadata.name!)).status?.phase, 'Running');
});
