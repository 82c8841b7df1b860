/** What a pod runs: its command line and environment, and whether its programs exist. */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Obj } from '../execution/context.ts';
import type { PodFs } from './mounts.ts';
import type { PodSandbox } from './sandbox.ts';

/** PATH of a step that declares none (as in a Debian-based image; /usr/games for the whalesay examples' cowsay). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games';

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Names recently found on a PATH (`PATH\0name` → when): a fan-out of one command looks it up once, not per pod. */
const foundOnPath = new Map<string, number>();
const FOUND_TTL_MS = 1000;

/** Whether the command can start: an existing executable path (in the pod's layer or the host), or a name on PATH. */
export async function commandExists(cmd: string, envPath: string, fs: PodFs | undefined): Promise<boolean> {
  if (cmd.includes('/')) return (await isExecutable(cmd)) || (fs !== undefined && (await isExecutable(fs.hostPath(cmd))));
  const key = `${envPath}\0${cmd}`;
  const at = foundOnPath.get(key);
  if (at !== undefined && Date.now() - at < FOUND_TTL_MS) return true;
  for (const dir of envPath.split(':').filter(Boolean)) {
    if (await isExecutable(path.join(dir, cmd))) {
      if (foundOnPath.size > 1000) foundOnPath.clear();
      foundOnPath.set(key, Date.now());
      return true;
    }
  }
  return false;
}

/** Identifies the pod in every container's environment. */
interface PodIdentity {
  pod: string;
  nodeId: string;
}

/**
 * The environment of container `name` with its own `env` entries: only these and what the template declares,
 * never the service's environment (its secrets).
 */
export function podEnvironment(sandbox: PodSandbox, id: PodIdentity, name: string, body: Obj): Record<string, string> {
  const e: Record<string, string> = {
    PATH: DEFAULT_PATH,
    HOME: '/tmp',
    LANG: 'C.UTF-8',
    ARGO_CONTAINER_NAME: name,
    ARGO_POD_NAME: id.pod,
    ARGO_NODE_ID: id.nodeId,
  };
  for (const x of (body.env as Obj[] | undefined) ?? []) e[String(x.name)] = sandbox.rewrite(String(x.value ?? ''));
  sandbox.place(e, typeof body.workingDir === 'string' ? body.workingDir : undefined);
  return e;
}
