/**
 * `containerSet` templates (container_set_template.go, cmd/argoexec/commands/emissary.go): the containers of one
 * pod, each a supervised process in the pod's sandbox, limits and cgroup (started as sidecars are, pods/containers.ts).
 * A container starts once every container it depends on has exited 0; one whose dependency failed never runs and
 * exits 64 with `dependency "X" exited with non-zero code: N`. `containerSet.retryStrategy` restarts a failed
 * container (`retries` attempts in all, `duration` apart). Each container has a node `<pod node>.<name>` of type
 * Container (Pending, Running, then Succeeded, Failed with `NAME: Error (exit code N): ` or Error for exit code
 * 64), its parent the pod node when it has no dependencies, else each of its dependencies' nodes. The container
 * named `main` (else the last) is the pod's main: its stdout is the result, its exit code the pod's.
 */
import type { NodeStatus } from '../../types.ts';
import { addChild, createNode, setPhase, type Obj, type RunContext } from '../execution/context.ts';
import { durationSeconds } from '../expressions/durations.ts';
import { startContainer, type PodLauncher } from './containers.ts';
import type { RunningProcess, SpawnOutcome } from './spawner.ts';

/** The container the pod's outputs come from (workflowpod.go: `main` if there is one, else the last). */
export function mainContainerOf(set: Obj): Obj {
  const list = (set.containers as Obj[] | undefined) ?? [];
  return list.find((c) => c.name === 'main') ?? list[list.length - 1] ?? {};
}

const codeOf = (o: SpawnOutcome) => o.code ?? (o.signal === 'SIGTERM' ? 143 : 137);

export interface ContainerGraph {
  /** Runs the graph; main is started with `spawnMain`. Its `done` resolves once every container has ended. */
  run(spawnMain: () => RunningProcess): RunningProcess;
  /** The first container failure in the set's order (`NAME: Error (exit code N)`), after `done`. */
  failure(): string | undefined;
}

/** The Container nodes of pod node `pod`, Pending, linked as the graph says. */
function containerNodes(ctx: RunContext, pod: NodeStatus, list: Obj[]): Map<string, NodeStatus> {
  const nodes = new Map<string, NodeStatus>();
  for (const c of list) {
    const name = String(c.name);
    nodes.set(
      name,
      createNode(ctx, {
        name: `${pod.name}.${name}`,
        type: 'Container',
        templateName: pod.templateName,
        boundaryId: pod.id,
        phase: 'Pending',
      }),
    );
  }
  for (const c of list) {
    const deps = ((c.dependencies as unknown[] | undefined) ?? []).map(String);
    const id = nodes.get(String(c.name))!.id;
    if (deps.length === 0) addChild(ctx, pod.id, id);
    for (const d of deps) addChild(ctx, nodes.get(d)!.id, id);
  }
  return nodes;
}

export function containerGraph(ctx: RunContext, pod: NodeStatus, set: Obj, launcher: PodLauncher): ContainerGraph {
  const list = (set.containers as Obj[] | undefined) ?? [];
  const mainName = String(mainContainerOf(set).name);
  const retry = set.retryStrategy as Obj | undefined;
  const attempts = Math.max(1, Number(retry?.retries ?? 1) || 1);
  const pause = (durationSeconds(retry?.duration) ?? 0) * 1000;
  const exits = new Map<string, Promise<number>>();
  const running = new Set<RunningProcess>();
  const failures = new Map<string, string>();
  let killed = false;
  let nodes: Map<string, NodeStatus>;

  const attempt = async (body: Obj, spawnMain: () => RunningProcess): Promise<SpawnOutcome> => {
    const proc = body.name === mainName ? spawnMain() : startContainer(ctx, launcher, body).proc;
    running.add(proc);
    const o = await proc.done;
    running.delete(proc);
    return o;
  };

  const runOne = async (body: Obj, spawnMain: () => RunningProcess): Promise<number> => {
    const name = String(body.name);
    const node = nodes.get(name)!;
    for (const d of ((body.dependencies as unknown[] | undefined) ?? []).map(String)) {
      const code = await exits.get(d)!;
      if (code !== 0) {
        const message = `dependency "${d}" exited with non-zero code: ${code}`;
        failures.set(name, `${name}: Error (exit code 64): ${message}`);
        setPhase(ctx, node, 'Error', `${name}: Error (exit code 64): ${message}`);
        return code;
      }
    }
    if (killed) {
      setPhase(ctx, node, 'Failed', 'Pod Failed whilst container running');
      return 137;
    }
    setPhase(ctx, node, 'Running');
    let o: SpawnOutcome = { code: 0, signal: null };
    for (let i = 0; i < attempts && !killed; i++) {
      if (i > 0 && pause > 0) await new Promise((r) => setTimeout(r, pause));
      o = await attempt(body, spawnMain);
      if (codeOf(o) === 0) break;
    }
    const code = codeOf(o);
    if (code === 0) setPhase(ctx, node, 'Succeeded');
    else {
      failures.set(name, `${name}: Error (exit code ${code})`);
      setPhase(ctx, node, code === 64 ? 'Error' : 'Failed', `${name}: Error (exit code ${code}): `);
    }
    return code;
  };

  return {
    run(spawnMain) {
      nodes = containerNodes(ctx, pod, list);
      let mainOutcome: SpawnOutcome = { code: 64, signal: null };
      let mainStarted: () => void = () => undefined;
      const started = new Promise<void>((r) => (mainStarted = r));
      const wrappedMain = () => {
        const p = spawnMain();
        void p.started.then(mainStarted);
        void p.done.then((o) => (mainOutcome = o));
        return p;
      };
      for (const body of list) exits.set(String(body.name), runOne(body, wrappedMain));
      const done = Promise.all(exits.values()).then(() => {
        mainStarted();
        return mainOutcome;
      });
      // The pod counts as started at once: containers waiting on others are part of it.
      void started;
      return {
        started: Promise.resolve(),
        done,
        kill(signal) {
          killed = true;
          for (const r of running) r.kill(signal);
        },
      };
    },
    failure() {
      for (const c of list) {
        const f = failures.get(String(c.name));
        if (f) return f;
      }
      return undefined;
    },
  };
}
