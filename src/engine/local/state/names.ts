/** Argo's naming rules for workflows, nodes and pods (SEMANTICS §8, §14). */

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a 32-bit hash of the UTF-8 bytes of `text`, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Node id: the workflow name for the root, else `<wf>-<fnv(node name)>`. */
export function nodeId(workflowName: string, nodeName: string): string {
  return nodeName === workflowName ? workflowName : `${workflowName}-${fnv1a32(nodeName)}`;
}

/** Pod name (Argo's v2 pod names): the workflow name for the root, else `<wf>-<template>-<fnv(node name)>`. */
export function podName(workflowName: string, nodeName: string, templateName: string): string {
  if (nodeName === workflowName) return workflowName;
  // Kubernetes caps names at 253 characters; Argo keeps room for the hash.
  // Inline templates have no name: the prefix is the workflow name alone.
  const prefix = (templateName ? `${workflowName}-${templateName}` : workflowName).slice(0, 253 - 10 - 1);
  return `${prefix}-${fnv1a32(nodeName)}`;
}

/** `generateName` plus five random characters, as the Kubernetes API server does. */
export function generateWorkflowName(generateName: string, random: (n: number) => number = (n) => Math.floor(Math.random() * n)): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += SUFFIX_ALPHABET[random(SUFFIX_ALPHABET.length)];
  return generateName.slice(0, 58) + suffix;
}
