/** What one running workflow carries through its templates: status, variables, limits, and the stop switch. */
import type { MemoStore } from '../state/memo.ts';
import type { WorkflowMetrics } from './metrics.ts';
import type { PodHost } from '../pods/host.ts';
import type { NodePhase, NodeStatus, Workflow } from '../../types.ts';
import type { ArtifactStore } from '../state/artifact-store.ts';
import type { ArtifactScope } from '../admission/artifact-scope.ts';
import { nodeId } from '../state/names.ts';
import type { SandboxStrategy } from '../pods/sandbox.ts';
import type { FairSemaphore, Semaphore } from './semaphore.ts';
import type { Spawner } from '../pods/spawner.ts';
import type { StepLimits } from '../pods/limits.ts';
import type { SuspendedNode } from './suspend.ts';
import type { LockManager } from './sync.ts';

export type Obj = Record<string, unknown>;

/** A template as the manifest spells it (only the fields the local engine reads are typed). */
export interface Template extends Obj {
  name: string;
  container?: Obj;
  script?: Obj & { source?: string };
  steps?: Obj[][];
  suspend?: { duration?: string | number };
  dag?: { tasks: Obj[]; target?: string; failFast?: boolean };
  inputs?: { parameters?: Obj[]; artifacts?: Obj[] };
  outputs?: { parameters?: Obj[]; artifacts?: Obj[] };
  retryStrategy?: Obj;
  activeDeadlineSeconds?: number | string;
  parallelism?: number | string;
  volumes?: Obj[];
}

/** A stored artifact as a node's outputs list it. */
export interface ArtifactRef extends Obj {
  name: string;
  path?: string;
  s3?: { key: string };
  archive?: Obj;
}

/** A running pod the stop switch can kill. */
export interface Killable {
  kill(message: string): void;
}

export interface RunContext {
  readonly name: string;
  readonly wf: Workflow;
  readonly nodes: Record<string, NodeStatus>;
  readonly spec: Obj;
  readonly templates: Map<string, Template>;
  /** workflow.* variables; `workflow.outputs.parameters.*` grow while it runs. */
  readonly globals: Record<string, string>;
  /** `workflow.outputs.artifacts.NAME` of outputs with a globalName. */
  readonly globalArtifacts: Map<string, ArtifactRef>;
  readonly wfDir: string;
  readonly dataDir: string;
  readonly store: ArtifactStore;
  /** How pods are confined (bubblewrap or none), chosen when the engine started. */
  readonly sandbox: SandboxStrategy;
  /** Engine-wide cap on processes. */
  readonly processSlots: FairSemaphore;
  /** `spec.parallelism`: pods pending or running. */
  readonly podSlots: Semaphore;
  readonly running: Set<Killable>;
  /** Engine-wide mutexes and semaphores; `lockLimit` reads a semaphore's ConfigMap key. */
  readonly locks: LockManager;
  lockLimit(name: string, key: string): string | undefined;
  /** `memoize` caches of this engine. */
  readonly memo: MemoStore;
  /** Custom metrics (`metrics.prometheus`) of this engine's workflows. */
  readonly metrics: WorkflowMetrics;
  /** Suspend nodes waiting for a resume, by node id. */
  readonly suspended: Map<string, SuspendedNode>;
  /** Resolves at once, or when a suspended workflow (`spec.suspend`) is resumed. */
  held(): Promise<void>;
  readonly spawner: Spawner;
  readonly limits: StepLimits;
  readonly fetchHostNetwork: boolean;
  /** `http` templates may call loopback/private/link-local hosts. */
  readonly allowPrivateHttp: boolean;
  /** Keys a confined (service-submitted) workflow may read and write (pods/artifact-scope.ts). */
  readonly artifactScope: ArtifactScope | undefined;
  /** Cgroups and network the machine offers pods. */
  readonly host: PodHost;
  /** Set by stop() or the workflow deadline: no new nodes, running pods killed with this message. */
  stopped?: { nodeMessage: string; workflowMessage?: string };
  /** Marks a node changed (persistence is batched). */
  touch(node: NodeStatus): void;
  log(msg: string): void;
}

/** RFC 3339 UTC without fractions, as Kubernetes writes times. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const FULFILLED: NodePhase[] = ['Succeeded', 'Failed', 'Error', 'Skipped', 'Omitted'];

/** Whether a phase is final. */
function isFulfilled(phase: NodePhase): boolean {
  return FULFILLED.includes(phase);
}

function displayNameOf(ctx: RunContext, name: string, boundaryId: string | undefined): string {
  if (!boundaryId) return name;
  const boundary = ctx.nodes[boundaryId];
  let rest = boundary && name.startsWith(boundary.name) ? name.slice(boundary.name.length) : name;
  rest = rest.replace(/^\[\d+\]\./, '').replace(/^\./, '');
  return rest;
}

/** Creates a node in the status (ids and display names as Argo makes them). */
export function createNode(
  ctx: RunContext,
  init: { name: string; type: NodeStatus['type']; templateName?: string; boundaryId?: string; phase: NodePhase; message?: string },
): NodeStatus {
  const node: NodeStatus = {
    id: nodeId(ctx.name, init.name),
    name: init.name,
    displayName: displayNameOf(ctx, init.name, init.boundaryId),
    type: init.type,
    ...(init.templateName ? { templateName: init.templateName } : {}),
    phase: init.phase,
    ...(init.boundaryId ? { boundaryID: init.boundaryId } : {}),
    ...(init.message ? { message: init.message } : {}),
    startedAt: now(),
  };
  if (isFulfilled(init.phase)) node.finishedAt = node.startedAt;
  if (init.type === 'Pod' || init.type === 'HTTP') node.progress = '0/1';
  ctx.nodes[node.id] = node;
  ctx.touch(node);
  return node;
}

/** Sets a node's phase (and message), stamping `finishedAt` when it is final. */
export function setPhase(ctx: RunContext, node: NodeStatus, phase: NodePhase, message?: string): void {
  node.phase = phase;
  if (message) node.message = message;
  if (isFulfilled(phase)) node.finishedAt = now();
  if (node.type === 'Pod' || node.type === 'HTTP') node.progress = phase === 'Succeeded' ? '1/1' : '0/1';
  ctx.touch(node);
}

/** Adds an edge parent → child once. */
export function addChild(ctx: RunContext, parentId: string, childId: string): void {
  const parent = ctx.nodes[parentId];
  if (!parent) return;
  parent.children ??= [];
  if (!parent.children.includes(childId)) parent.children.push(childId);
  ctx.touch(parent);
}

function containerOutbound(ctx: RunContext, node: NodeStatus): string[] {
  const children = (node.children ?? []).map((c) => ctx.nodes[c]).filter((c): c is NodeStatus => c !== undefined);
  if (children.length === 0) return [node.id];
  return children.flatMap((c) => (node.type === 'Container' && c.boundaryID !== node.boundaryID ? [node.id] : outboundNodes(ctx, c.id)));
}

/** Argo's outbound nodes: where the next step's edges start (SEMANTICS §8). */
export function outboundNodes(ctx: RunContext, id: string): string[] {
  const node = ctx.nodes[id];
  if (!node) return [];
  switch (node.type) {
    case 'Pod':
      // A containerSet's pod ends at its last containers (operator.go:getOutboundNodes).
      return (node.children ?? []).some((c) => ctx.nodes[c]?.type === 'Container') ? containerOutbound(ctx, node) : [id];
    case 'Container':
      return containerOutbound(ctx, node);
    case 'HTTP':
    case 'Skipped':
      return [id];
    case 'Retry': {
      const last = node.children?.[node.children.length - 1];
      return last ? outboundNodes(ctx, last) : [id];
    }
    case 'TaskGroup':
      return (node.children ?? []).flatMap((c) => outboundNodes(ctx, c));
    default:
      return node.outboundNodes && node.outboundNodes.length > 0 ? node.outboundNodes : [id];
  }
}

/** The stop state, read fresh (a helper so narrowing from an earlier check does not hide later changes). */
export function stopState(ctx: RunContext): RunContext['stopped'] {
  return ctx.stopped;
}
