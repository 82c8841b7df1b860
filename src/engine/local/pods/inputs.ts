/** Input artifacts written into a pod's files before it runs (SEMANTICS §12); messages name pod paths only. */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunContext } from '../execution/context.ts';
import { PodSetupError } from '../errors.ts';
import { loadRemoteArtifact } from '../execution/remote-artifacts.ts';
import { keyRefusal } from '../admission/artifact-scope.ts';
import { confined } from './confine.ts';
import type { PodFs } from './mounts.ts';
import type { PodRequest } from './pod.ts';

/** A file-system error as a node may show it: its code and the pod path, never the host path behind it. */
function podPathError(err: unknown, podPath: string, hostPath?: string): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && typeof e.syscall === 'string') return `${e.syscall} ${podPath}: ${e.code}`;
  const text = err instanceof Error ? err.message : String(err);
  return hostPath ? text.split(hostPath).join(podPath) : text;
}

export async function loadInputs(ctx: RunContext, req: PodRequest, fs: PodFs): Promise<void> {
  for (const art of req.inputArtifacts) {
    const dest = await confined(fs.hostPath(art.path), fs.bases);
    if (!dest) throw new PodSetupError(req.nodeName, `input artifact '${art.name}': ${art.path} leads outside the pod`);
    const write = async (what: () => Promise<unknown>) => {
      try {
        await what();
      } catch (err) {
        throw new PodSetupError(req.nodeName, `input artifact '${art.name}': ${podPathError(err, art.path, dest)}`);
      }
    };
    await write(() => mkdir(path.dirname(dest), { recursive: true }));
    if (art.raw !== undefined) {
      await write(() => writeFile(dest, art.raw!));
      continue;
    }
    if (art.remote) {
      try {
        await loadRemoteArtifact(ctx, art.remote, dest);
      } catch (err) {
        throw new PodSetupError(req.nodeName, `failed to load artifact '${art.name}': ${podPathError(err, art.path, dest)}`);
      }
      if (art.mode !== undefined) await write(() => chmod(dest, art.mode!));
      continue;
    }
    const key = art.source?.s3?.key;
    const refused = key ? keyRefusal(ctx.artifactScope, key, 'read') : undefined;
    if (refused) throw new PodSetupError(req.nodeName, `input artifact '${art.name}': ${refused}`);
    let loaded = false;
    if (key)
      await write(async () => {
        loaded = await ctx.store.load(key, dest, art.source?.archive && 'none' in art.source.archive ? 'none' : 'auto');
      });
    if (!loaded && !art.optional) {
      throw new PodSetupError(
        req.nodeName,
        `failed to load artifact '${art.name}': ${key ? `key '${key}' not found in the artifact repository` : 'no source'}`,
      );
    }
  }
}
