/**
 * `nodeSelector` on one machine: the engine is a cluster of one Linux node with Kubernetes' well-known labels. A
 * pod whose selector this node does not match is never scheduled (workflowpod.go sets pod.Spec.NodeSelector: the
 * template's, else the workflow's): its Pod node stays Pending with the scheduler's reason until a stop or the
 * workflow's deadline, as on a cluster without such a node. A Windows selector is refused at submit
 * (admission/subset.ts): Windows containers need a Windows node.
 */
import os from 'node:os';
import type { NodeStatus } from '../../types.ts';
import { createNode, setPhase, stopState, type Obj, type RunContext, type Template } from './context.ts';

/** Node.js's process.arch → GOARCH (the value of `kubernetes.io/arch`). */
const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

/** The labels the kubelet puts on this machine's node. */
export function nodeLabels(): Record<string, string> {
  const arch = GOARCH[process.arch] ?? process.arch;
  return {
    'kubernetes.io/os': 'linux',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'beta.kubernetes.io/arch': arch,
    'kubernetes.io/hostname': os.hostname(),
  };
}

/** The scheduler's reason when the pod's selector does not match this node; undefined when it does. */
export function unschedulable(ctx: RunContext, tmpl: Template): string | undefined {
  const own = tmpl.nodeSelector as Obj | undefined;
  const selector = own && Object.keys(own).length > 0 ? own : (ctx.spec.nodeSelector as Obj | undefined);
  const labels = nodeLabels();
  const matches = Object.entries(selector ?? {}).every(([k, v]) => labels[k] === String(v));
  return matches ? undefined : "Unschedulable: 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.";
}

interface PendingPodCall {
  nodeName: string;
  templateName: string;
  boundaryId?: string;
  inputs?: NodeStatus['inputs'];
  link(id: string): void;
}

/** A Pod node that is never scheduled: Pending with `message` until the stop switch ends it (Failed, its message). */
export async function runUnschedulable(ctx: RunContext, call: PendingPodCall, message: string): Promise<NodeStatus | undefined> {
  if (ctx.stopped) return undefined;
  const node = createNode(ctx, {
    name: call.nodeName,
    type: 'Pod',
    templateName: call.templateName,
    boundaryId: call.boundaryId,
    phase: 'Pending',
    message,
  });
  if (call.inputs && (call.inputs.parameters?.length || call.inputs.artifacts?.length)) node.inputs = call.inputs;
  call.link(node.id);
  let stopMessage = '';
  await new Promise<void>((resolve) => {
    const killable = {
      kill: (m: string) => {
        stopMessage = m;
        ctx.running.delete(killable);
        resolve();
      },
    };
    ctx.running.add(killable);
  });
  setPhase(ctx, node, 'Failed', stopState(ctx)?.nodeMessage ?? stopMessage);
  return node;
}
