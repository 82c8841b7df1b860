import type { Workflow } from '../types.ts';

/** FNV-1a 32-bit hash of the UTF-8 bytes of `text`, unsigned (Argo hashes node names with it). */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/** Argo's v2 pod name of a node (workflow/util/pod_name.go): the workflow name for the root, else `<wf>-<template>-<fnv(node name)>`. */
function argoPodName(workflowName: string, nodeName: string, templateName: string): string {
  if (nodeName === workflowName) return workflowName;
  // Kubernetes caps names at 253 characters; Argo keeps room for the hash and a dash.
  return `${`${workflowName}-${templateName}`.slice(0, 242)}-${fnv1a32(nodeName)}`;
}

/**
 * The pod name Argo's log endpoint filters on, for a node given by id, full name,
 * display name or pod name. Unknown values pass through unchanged (they may be a pod name already).
 */
export function podNameForNode(workflow: Workflow, node: string): string {
  const wfName = workflow.metadata.name ?? '';
  for (const n of Object.values(workflow.status?.nodes ?? {})) {
    if (n.id === node || n.name === node || n.displayName === node) {
      return argoPodName(wfName, n.name, n.templateName ?? '');
    }
  }
  return node;
}
