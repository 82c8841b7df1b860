/**
 * The host programs the engine puts before a step's command (the shell that joins its cgroups and sets its
 * limits, bubblewrap, nsenter), by absolute path. The launcher starts a step with the step's own environment, and
 * a program named without a path would be looked up on the PATH the template declares: a step setting PATH to a
 * folder it can write would have its own `sh` or `bwrap` run on the host, outside the sandbox, with the service's
 * rights. So each is found once on the service's PATH and named by that path.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

const found = new Map<string, string>();

/** The absolute path of `name` on the service's PATH (then the usual system folders), or one that does not exist. */
export function hostProgram(name: string): string {
  const known = found.get(name);
  if (known) return known;
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const dir of dirs.filter((d) => path.isAbsolute(d))) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (!statSync(file).isFile()) continue;
      found.set(name, file);
      return file;
    } catch {
      // not here
    }
  }
  // Not found: the spawn fails with ENOENT only if the step's PATH lacks it too; an absolute path is refused
  // instead, so no step's PATH can supply it.
  return path.join('/nonexistent', name);
}
