import type { ContainerSecurityContext, PodSecurityContext } from '../../argo/types.ts';
import type { TranslateOptions } from '../types.ts';

/** `spec.activeDeadlineSeconds` when the deployment sets none: one day. */
const DEFAULT_WORKFLOW_DEADLINE_SECONDS = 86_400;

/**
 * Unprivileged uid/gid for "restricted" pods. The runner and viz images default to root, and
 * `runAsNonRoot` alone would make the kubelet refuse to start them, so the uid is explicit;
 * `fsGroup` lets that uid write the workflow volume.
 */
const RESTRICTED_UID = 1000;

/**
 * Every container: no privilege escalation (no setuid gains) and no capabilities. The runner
 * image's scripts (wget, cp, mv, zip, rm) need none: everything they touch on the volume was
 * written by the same uid. That satisfies "baseline", and the container half of "restricted".
 */
export function containerSecurityContext(): ContainerSecurityContext {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
}

/** Pod half of "restricted" (non-root, RuntimeDefault seccomp); none under "baseline". */
export function podSecurityContext(options: TranslateOptions): PodSecurityContext | undefined {
  if (options.podSecurity !== 'restricted') return undefined;
  return {
    runAsNonRoot: true,
    runAsUser: RESTRICTED_UID,
    runAsGroup: RESTRICTED_UID,
    fsGroup: RESTRICTED_UID,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function deadlineSeconds(options: TranslateOptions): number {
  return options.workflowDeadlineSeconds ?? DEFAULT_WORKFLOW_DEADLINE_SECONDS;
}
