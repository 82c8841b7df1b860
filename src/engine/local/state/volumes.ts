import path from 'node:path';

/** Where the local engine keeps a PersistentVolumeClaim's files: `<data dir>/volumes/<claim>` (pods/mounts.ts mounts it). */
export function claimFolderIn(dataDir: string, claim: string): string {
  return path.join(path.resolve(dataDir), 'volumes', claim);
}
