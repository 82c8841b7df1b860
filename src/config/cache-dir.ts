import { homedir } from 'node:os';
import path from 'node:path';

/** The user's cache folder for this program: `$XDG_CACHE_HOME/ogdc-runner`, default `~/.cache/ogdc-runner`. */
export function userCacheDir(env: Record<string, string | undefined> = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'ogdc-runner');
}
