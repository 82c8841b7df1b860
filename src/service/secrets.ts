import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Reads a secret kept in a 0600 file of the data dir, creating it on first use,
 * so an embedded service keeps its tokens and admin password across restarts.
 */
export async function persistentSecret(
  dataDir: string,
  file: string,
  bytes: number,
): Promise<{ value: string; path: string; created: boolean }> {
  const full = path.join(dataDir, file);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    const value = (await readFile(full, 'utf8')).trim();
    if (value) return { value, path: full, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = randomBytes(bytes).toString('base64url');
  try {
    // 'wx' fails if another process created it meanwhile; then read theirs.
    await writeFile(full, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return persistentSecret(dataDir, file, bytes);
    throw err;
  }
  await chmod(full, 0o600);
  return { value, path: full, created: true };
}
