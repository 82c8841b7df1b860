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

interface ContainerGraph {
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

/** One run of a pod's container graph. */
class ContainerSetRun implements ContainerGraph {
  private readonly list: Obj[];
  private readonly mainName: string;
  private readonly attempts: number;
  private readonly pauseMs: number;
  private readonly exits = new Map<string, Promise<number>>();
  private readonly running = new Set<RunningProcess>();
  private readonly failures = new Map<string, string>();
  private killed = false;
  private nodes = new Map<string, NodeStatus>();

  constructor(
    private readonly ctx: RunContext,
    private readonly pod: NodeStatus,
    set: Obj,
    private readonly launcher: PodLauncher,
  ) {
    this.list = (set.containers as Obj[] | undefined) ?? [];
    this.mainName = String(mainContainerOf(set).name);
    const retry = set.retryStrategy as Obj | undefined;
    this.attempts = Math.max(1, Number(retry?.retries ?? 1) || 1);
    this.pauseMs = (durationSeconds(retry?.duration) ?? 0) * 1000;
  }

  private async attempt(body: Obj, spawnMain: () => RunningProcess): Promise<SpawnOutcome> {
    const proc = body.name === this.mainName ? spawnMain() : startContainer(this.ctx, this.launcher, body).proc;
    this.running.add(proc);
    const o = await proc.done;
    this.running.delete(proc);
    return o;
  }

  /** Waits for the container's dependencies, runs it (with its retries), and sets its node; its exit code. */
  private async runOne(body: Obj, spawnMain: () => RunningProcess): Promise<number> {
    const { ctx } = this;
    const name = String(body.name);
    const node = this.nodes.get(name)!;
    for (const d of ((body.dependencies as unknown[] | undefined) ?? []).map(String)) {
      const code = await this.exits.get(d)!;
      if (code !== 0) {
        const message = `${name}: Error (exit code 64): dependency "${d}" exited with non-zero code: ${code}`;
        this.failures.set(name, message);
        setPhase(ctx, node, 'Error', message);
        return code;
      }
    }
    if (this.killed) {
      setPhase(ctx, node, 'Failed', 'Pod Failed whilst container running');
      return 137;
    }
    setPhase(ctx, node, 'Running');
    let o: SpawnOutcome = { code: 0, signal: null };
    for (let i = 0; i < this.attempts && !this.killed; i++) {
      if (i > 0 && this.pauseMs > 0) await new Promise((r) => setTimeout(r, this.pauseMs));
      o = await this.attempt(body, spawnMain);
      if (codeOf(o) === 0) break;
    }
    const code = codeOf(o);
    if (code === 0) setPhase(ctx, node, 'Succeeded');
    else {
      this.failures.set(name, `${name}: Error (exit code ${code})`);
      setPhase(ctx, node, code === 64 ? 'Error' : 'Failed', `${name}: Error (exit code ${code}): `);
    }
    return code;
  }

  run(spawnMain: () => RunningProcess): RunningProcess {
    this.nodes = containerNodes(this.ctx, this.pod, this.list);
    // Main's outcome is the pod's; 64 (the emissary's own) when a failed dependency kept it from running.
    let mainOutcome: SpawnOutcome = { code: 64, signal: null };
    const wrappedMain = () => {
      const p = spawnMain();
      void p.done.then((o) => (mainOutcome = o));
      return p;
    };
    for (const body of this.list) this.exits.set(String(body.name), this.runOne(body, wrappedMain));
    const done = Promise.all(this.exits.values()).then(() => mainOutcome);
    // The pod counts as started at once: containers waiting on others are part of it.
    return {
      started: Promise.resolve(),
      done,
      kill: (signal) => {
        this.killed = true;
        for (const r of this.running) r.kill(signal);
      },
    };
  }

  failure(): string | undefined {
    for (const c of this.list) {
      const f = this.failures.get(String(c.name));
      if (f) return f;
    }
    return undefined;
  }
}

export function containerGraph(ctx: RunContext, pod: NodeStatus, set: Obj, launcher: PodLauncher): ContainerGraph {
  return new ContainerSetRun(ctx, pod, set, launcher);
}
