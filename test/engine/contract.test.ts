// One behaviour contract, both engines: what the service relies on from `Engine` (src/engine/types.ts), checked the
// same way on the local engine and on the Argo engine through the Argo Server stand-in (test/engine/contract/).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  ArtifactNotFoundError,
  WorkflowCompletedError,
  WorkflowNotFoundError,
  WorkflowNotSuspendedError,
} from '../../src/engine/errors.ts';
import type { Engine, LogLine, Workflow, WorkflowEvent } from '../../src/engine/types.ts';
import { argoSubject, localSubject, NAMESPACE, type Subject } from './contract/subjects.ts';

const FINISHED = new Set(['Succeeded', 'Failed', 'Error']);
const WAIT_MS = 60_000;

/** A one-template workflow: a container that echoes, one that sleeps, or a suspend template. */
function workflow(kind: 'echo' | 'sleep' | 'suspend', labels: Record<string, string> = {}): Workflow {
  const main =
    kind === 'suspend'
      ? { name: 'main', suspend: {} }
      : {
          name: 'main',
          container: { image: 'busybox', command: ['sh', '-c', kind === 'echo' ? 'echo hello-contract' : 'echo started; sleep 60'] },
        };
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: `contract-${kind}-`, labels: { contract: 'yes', ...labels } },
    spec: { entrypoint: 'main', templates: [main] },
  };
}

/** Polls `get` until `ok` holds (generous deadline: the machine may be loaded). */
async function until(engine: Engine, name: string, ok: (wf: Workflow) => boolean, what: string): Promise<Workflow> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const wf = await engine.get(name);
    if (ok(wf)) return wf;
    if (Date.now() > deadline) throw new Error(`${name} never became ${what}: ${JSON.stringify(wf.status)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const finished = (engine: Engine, name: string) => until(engine, name, (wf) => FINISHED.has(wf.status?.phase ?? ''), 'finished');

async function collect(lines: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

for (const start of [localSubject, argoSubject]) {
  describe(`the Engine contract on ${start.name.replace('Subject', '')}`, () => {
    let subject: Subject;
    let engine: Engine;
    before(async () => {
      subject = await start();
      engine = subject.engine;
    });
    after(() => subject.close());

    it('is ready, and says whether replicas share it and where a claim is on this machine', async () => {
      await engine.ping();
      assert.equal(engine.shared, subject.name === 'argo');
      assert.equal(engine.kind, subject.name);
      assert.equal(engine.claimFolder('contract-claim'), subject.claimFolder);
    });

    it('submits a manifest under a generated name, gets it, and its log has what the step printed', async () => {
      const created = await engine.submit(workflow('echo'));
      const name = created.metadata.name!;
      assert.match(name, /^contract-echo-[a-z0-9]{5}$/);
      assert.equal(created.metadata.namespace, NAMESPACE);
      assert.ok(created.metadata.uid);
      assert.equal((await engine.get(name)).metadata.name, name);
      const done = await finished(engine, name);
      assert.equal(done.status?.phase, 'Succeeded');
      assert.equal(done.status?.nodes?.[name]?.type, 'Pod');
      const lines = await collect(engine.logs(name));
      assert.deepEqual(
        lines.filter((l) => l.content === 'hello-contract'),
        [{ podName: name, content: 'hello-contract' }],
      );
      assert.deepEqual(await collect(engine.logs(name, { node: name })), lines);
    });

    it('watch starts with a full list, then reports a submitted workflow until it finishes', async () => {
      const events: WorkflowEvent[] = [];
      const stop = engine.watch((e) => events.push(e));
      try {
        const deadline = Date.now() + WAIT_MS;
        while (events.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        assert.equal(events[0]?.type, 'LISTED');
        const name = (await engine.submit(workflow('echo'))).metadata.name!;
        const about = () =>
          events.flatMap((e) => (e.type === 'LISTED' ? e.workflows : [e.workflow])).filter((wf) => wf.metadata.name === name);
        while (!about().some((wf) => wf.status?.phase === 'Succeeded') && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 25));
        assert.equal(about().at(-1)?.status?.phase, 'Succeeded', JSON.stringify(about().map((wf) => wf.status?.phase)));
        const listed = events[0]!.type === 'LISTED' ? events[0]!.workflows.map((wf) => wf.metadata.name) : [];
        assert.ok(!listed.includes(name), 'the first list was made before the submission');
      } finally {
        stop();
      }
    });

    it("stops a running workflow: it ends Failed with Argo's message; stopping it again changes nothing", async () => {
      const name = (await engine.submit(workflow('sleep'))).metadata.name!;
      await until(engine, name, (wf) => wf.status?.nodes?.[name]?.phase === 'Running', 'running');
      // Stopped once its step has started for certain (its first line is logged).
      const deadline = Date.now() + WAIT_MS;
      while (!(await collect(engine.logs(name))).some((l) => l.content === 'started')) {
        assert.ok(Date.now() < deadline, `${name} never logged "started"`);
        await new Promise((r) => setTimeout(r, 25));
      }
      await engine.stop(name);
      const stopped = await finished(engine, name);
      assert.equal(stopped.status?.phase, 'Failed');
      assert.equal(stopped.status?.message, "Stopped with strategy 'Stop'");
      assert.equal(stopped.status?.nodes?.[name]?.phase, 'Failed');
      await engine.stop(name);
      assert.equal((await engine.get(name)).status?.phase, 'Failed');
    });

    it('resumes a suspended workflow, which then succeeds; a second resume is refused', async () => {
      const name = (await engine.submit(workflow('suspend'))).metadata.name!;
      const waiting = await until(engine, name, (wf) => wf.status?.nodes?.[name]?.phase === 'Running', 'suspended');
      assert.equal(waiting.status?.nodes?.[name]?.type, 'Suspend');
      assert.equal(waiting.status?.phase, 'Running');
      await engine.resume(name);
      const done = await finished(engine, name);
      assert.equal(done.status?.phase, 'Succeeded');
      assert.equal(done.status?.nodes?.[name]?.phase, 'Succeeded');
      await assert.rejects(engine.resume(name), (e: unknown) => e instanceof WorkflowNotSuspendedError && e.workflowName === name);
    });

    it('suspends a running workflow (spec.suspend), resumes it; a finished one cannot be suspended', async () => {
      const name = (await engine.submit(workflow('sleep'))).metadata.name!;
      await until(engine, name, (wf) => wf.status?.nodes?.[name]?.phase === 'Running', 'running');
      await engine.suspend(name);
      await until(engine, name, (wf) => wf.spec.suspend === true, 'suspended');
      await engine.resume(name);
      await until(engine, name, (wf) => wf.spec.suspend === undefined, 'resumed');
      await engine.stop(name);
      await finished(engine, name);
      await assert.rejects(engine.suspend(name), (e: unknown) => e instanceof WorkflowCompletedError && e.workflowName === name);
    });

    it('lists the workflows whose labels match a selector, and none for a selector nothing matches', async () => {
      const batch = randomUUID().slice(0, 8);
      const names = [];
      for (let i = 0; i < 2; i++) names.push((await engine.submit(workflow('echo', { batch }))).metadata.name!);
      await engine.submit(workflow('echo', { batch: `${batch}-other` }));
      const listed = await engine.list(`contract=yes,batch=${batch}`);
      assert.deepEqual(listed.map((wf) => wf.metadata.name).sort(), names.sort());
      assert.ok(listed.every((wf) => wf.metadata.labels?.batch === batch));
      assert.deepEqual(await engine.list(`batch=none-${batch}`), []);
      for (const name of names) await finished(engine, name);
    });

    it('stores and reads artifacts by key; a link, where the engine gives one, serves the same bytes', async () => {
      const key = `contract-${randomUUID()}/out.txt`;
      await engine.putArtifact(key, 'artifact bytes');
      assert.equal(await text(await engine.getArtifact(key)), 'artifact bytes');
      await assert.rejects(engine.getArtifact(`${key}.missing`), (e: unknown) => e instanceof ArtifactNotFoundError);
      const link = await engine.artifactLink(key, 60);
      // Local artifacts are served by the service in front of the engine; Argo's straight from S3.
      assert.equal(link === undefined, subject.name === 'local');
      if (link !== undefined) {
        const answer = await fetch(link);
        assert.equal(answer.status, 200);
        assert.equal(await answer.text(), 'artifact bytes');
        await assert.rejects(engine.artifactLink(`${key}.missing`, 60), (e: unknown) => e instanceof ArtifactNotFoundError);
      }
    });

    it('deletes a workflow: it is gone from get and list, and watch reports it DELETED', async () => {
      const name = (await engine.submit(workflow('echo', { doomed: 'yes' }))).metadata.name!;
      await finished(engine, name);
      const events: WorkflowEvent[] = [];
      const stop = engine.watch((e) => events.push(e));
      try {
        const deleted = () => events.some((e) => e.type === 'DELETED' && e.workflow.metadata.name === name);
        const deadline = Date.now() + WAIT_MS;
        while (events.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        await engine.delete(name);
        await assert.rejects(engine.get(name), (e: unknown) => e instanceof WorkflowNotFoundError && e.workflowName === name);
        assert.deepEqual(await engine.list('doomed=yes'), []);
        while (!deleted() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        assert.ok(deleted(), JSON.stringify(events.map((e) => e.type)));
      } finally {
        stop();
      }
    });

    it('answers WorkflowNotFoundError for every call on a workflow it does not have', async () => {
      const name = `contract-none-${randomUUID().slice(0, 8)}`;
      const notFound = (e: unknown) => e instanceof WorkflowNotFoundError && e.workflowName === name;
      await assert.rejects(engine.get(name), notFound);
      await assert.rejects(engine.stop(name), notFound);
      await assert.rejects(engine.resume(name), notFound);
      await assert.rejects(engine.suspend(name), notFound);
      await assert.rejects(engine.delete(name), notFound);
      await assert.rejects(collect(engine.logs(name)), notFound);
    });
  });
}
