import { copyFile, lstat, mkdir, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { RecipeSourceError } from '../errors.ts';
import type { StageLimits } from './limits.ts';

/**
 * Copies a recipe directory into `dest`, bounded in files and bytes. A symbolic
 * link is copied as the file it points to only when that file is inside the
 * recipe; links leaving the recipe, links to directories and special files are
 * refused. `.git` folders are skipped.
 */
export async function copyRecipeTree(src: string, dest: string, limits: StageLimits, label: string): Promise<void> {
  const root = await realpath(src);
  const budget = { files: 0, bytes: 0 };
  await copyDir(root, root, dest, limits, label, budget);
}

async function copyDir(
  root: string,
  dir: string,
  dest: string,
  limits: StageLimits,
  label: string,
  budget: { files: number; bytes: number },
): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const name of (await readdir(dir)).sort()) {
    if (name === '.git') continue;
    const from = path.join(dir, name);
    const to = path.join(dest, name);
    const shown = path.relative(root, from);
    let info = await lstat(from);
    let source = from;
    if (info.isSymbolicLink()) {
      const target = await realpath(from).catch(() => undefined);
      if (target === undefined || (target !== root && !target.startsWith(root + path.sep))) {
        throw new RecipeSourceError(label, `${label}: ${JSON.stringify(shown)} is a link leaving the recipe directory`);
      }
      info = await stat(target);
      if (!info.isFile()) {
        throw new RecipeSourceError(label, `${label}: ${JSON.stringify(shown)} is a link to a directory; only links to files are allowed`);
      }
      source = target;
    }
    budget.files += 1;
    if (budget.files > limits.maxFiles) {
      throw new RecipeSourceError(label, `${label} has more than ${limits.maxFiles} files and directories`);
    }
    if (info.isDirectory()) {
      await copyDir(root, from, to, limits, label, budget);
    } else if (info.isFile()) {
      budget.bytes += info.size;
      if (budget.bytes > limits.maxBytes) throw new RecipeSourceError(label, `${label} holds more than ${limits.maxBytes} bytes`);
      await copyFile(source, to);
    } else {
      throw new RecipeSourceError(label, `${label}: ${JSON.stringify(shown)} is not a regular file or directory`);
    }
  }
}
