import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A file to commit; `link` makes a symbolic link to that target instead. */
type RepoFile = string | { link: string };

/**
 * Creates a git repository in a temp directory with `files` committed on
 * branch `main`, plus any `tags`. Returns its path and a `file://` URL.
 */
export async function makeGitRepo(
  files: Record<string, RepoFile>,
  tags: string[] = [],
): Promise<{ dir: string; url: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-git-repo-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', '-c', 'init.defaultBranch=main', ...args], {
      cwd: dir,
      stdio: 'pipe',
    });
  git('init', '-q');
  for (const [name, content] of Object.entries(files)) {
    const full = path.join(dir, name);
    await mkdir(path.dirname(full), { recursive: true });
    if (typeof content === 'string') await writeFile(full, content);
    else await symlink(content.link, full);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'recipes');
  for (const tag of tags) git('tag', tag);
  return { dir, url: `file://${dir}`, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
