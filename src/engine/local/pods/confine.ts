/**
 * Host paths the engine itself opens for a pod (inputs written, outputs read, volume sub-folders bound). The
 * engine runs with the service's rights, so a symlink a pod left in its layer or in a shared volume must not
 * lead it elsewhere: every such path must resolve, links followed on the host, inside one of the pod's own trees.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';

const inside = (p: string, base: string) => p === base || p.startsWith(base.endsWith('/') ? base : `${base}${path.sep}`);

/**
 * The real path of `hostPath` (or of its deepest existing ancestor joined with the rest) when it lies within
 * one of `bases`; undefined otherwise.
 */
export async function confined(hostPath: string, bases: string[]): Promise<string | undefined> {
  const realBases = await Promise.all(bases.map((b) => realpath(b).catch(() => path.resolve(b))));
  let probe = path.resolve(hostPath);
  let rest = '';
  for (;;) {
    try {
      const real = path.join(await realpath(probe), rest);
      return realBases.some((b) => inside(real, b)) ? real : undefined;
    } catch {
      const parent = path.dirname(probe);
      if (parent === probe) return undefined;
      rest = path.join(path.basename(probe), rest);
      probe = parent;
    }
  }
}
