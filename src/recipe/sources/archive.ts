import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Parser, extract } from 'tar';
import type { ReadEntry } from 'tar';
import { RecipeSourceError } from '../errors.ts';
import type { StageLimits } from './limits.ts';

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

interface Scan {
  /** Entry paths (normalised, without a trailing slash) of the whole archive. */
  paths: string[];
  problems: string[];
}

/**
 * Extracts the recipe from a tar(.gz) file into `dest` and returns `dest`.
 * `within` selects a folder below the archive's single top-level folder (GitHub archives);
 * without it, the recipe is the archive root or its single top-level folder.
 * Every entry of the recipe is checked first: no absolute paths, no `..`, no
 * links or special files, bounded count and size; anything wrong refuses the
 * whole archive, listing the offending entries.
 */
export async function extractRecipeArchive(
  file: string,
  dest: string,
  limits: StageLimits,
  label: string,
  within?: string,
): Promise<string> {
  const first = await scanArchive(file, limits, label, () => true);
  let prefix: string;
  if (within !== undefined) {
    const tops = new Set(first.paths.map((p) => p.split('/')[0]));
    if (tops.size !== 1) throw new RecipeSourceError(label, `${label}: expected the archive to hold one top-level folder`);
    prefix = [[...tops][0]!, within].filter(Boolean).join('/');
  } else if (first.paths.includes('meta.yml')) {
    prefix = '';
  } else {
    const tops = new Set(first.paths.map((p) => p.split('/')[0]));
    const only = tops.size === 1 ? [...tops][0]! : undefined;
    prefix = only !== undefined && first.paths.includes(`${only}/meta.yml`) ? only : '';
    if (prefix === '' && first.problems.length === 0) {
      throw new RecipeSourceError(label, `${label}: no meta.yml at the archive root or in its single top-level folder`);
    }
  }
  const selected = (p: string) => prefix === '' || p === prefix || p.startsWith(`${prefix}/`);
  // Scan again restricted to the recipe, so that links elsewhere in a repository archive do not matter.
  const scan = within !== undefined || prefix !== '' ? await scanArchive(file, limits, label, selected) : first;
  if (scan.problems.length > 0) {
    const shown = scan.problems.slice(0, 20);
    throw new RecipeSourceError(label, `${label} was refused:\n${shown.map((p) => `  ${p}`).join('\n')}`);
  }
  if (within !== undefined && !scan.paths.some((p) => p.startsWith(`${prefix}/`))) {
    throw new RecipeSourceError(label, `${label}: the path ${JSON.stringify(prefix.split('/').slice(1).join('/'))} does not exist`);
  }
  const strip = prefix === '' ? 0 : prefix.split('/').length;
  await extract({
    file,
    cwd: dest,
    strip,
    strict: true,
    // Regular files and directories only (the scan already refused anything else inside the recipe).
    filter: (p, entry) =>
      selected(normalise(p)) && (FILE_TYPES.has((entry as ReadEntry).type) || (entry as ReadEntry).type === 'Directory'),
    // Permissions from the archive are not trusted: files are readable, never setuid.
    fmode: 0o644,
    dmode: 0o755,
    noChmod: false,
  });
  return dest;
}

function normalise(entryPath: string): string {
  return entryPath.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/** Reads every header of the archive (without writing anything), checking the entries `selected` picks. */
function scanArchive(file: string, limits: StageLimits, label: string, selected: (p: string) => boolean): Promise<Scan> {
  const scan: Scan = { paths: [], problems: [] };
  let archiveBytes = 0;
  let recipeBytes = 0;
  let recipeEntries = 0;
  return new Promise<Scan>((resolve, reject) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        entry.resume();
        archiveBytes += entry.size;
        if (archiveBytes > limits.maxArchiveBytes) {
          parser.abort(new RecipeSourceError(label, `${label} was refused: it unpacks to more than ${limits.maxArchiveBytes} bytes`));
          return;
        }
        const raw = entry.path;
        const p = normalise(raw);
        if (p === '' || p === '.') return;
        scan.paths.push(p);
        if (!selected(p)) return;
        if (path.posix.isAbsolute(raw) || /^[a-zA-Z]:/.test(raw))
          scan.problems.push(`${JSON.stringify(raw)}: absolute paths are not allowed`);
        else if (p.split('/').includes('..')) scan.problems.push(`${JSON.stringify(raw)}: ".." in paths is not allowed`);
        if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
          const kind = entry.type === 'Link' ? 'hard link' : 'symbolic link';
          scan.problems.push(
            `${JSON.stringify(raw)}: is a ${kind} (to ${JSON.stringify(entry.linkpath)}); links are not allowed in recipes`,
          );
        } else if (!FILE_TYPES.has(entry.type) && entry.type !== 'Directory') {
          scan.problems.push(`${JSON.stringify(raw)}: entries of type ${entry.type} are not allowed; only files and directories`);
        }
        recipeEntries += 1;
        recipeBytes += entry.size;
        if (recipeEntries === limits.maxFiles + 1) scan.problems.push(`more than ${limits.maxFiles} files and directories`);
        if (recipeBytes > limits.maxBytes && recipeBytes - entry.size <= limits.maxBytes) {
          scan.problems.push(`more than ${limits.maxBytes} bytes of files`);
        }
      },
    });
    // tar aborts on corrupt gzip data and on its decompression-ratio guard: both are the archive's fault.
    const refuse = (error: Error) =>
      reject(
        error instanceof RecipeSourceError
          ? error
          : new RecipeSourceError(label, `${label} is not a readable tar.gz archive: ${error.message}`, { cause: error }),
      );
    parser.on('abort', refuse);
    parser.on('error', refuse);
    parser.on('end', () => resolve(scan));
    const stream = createReadStream(file);
    stream.on('error', reject);
    stream.pipe(parser as unknown as NodeJS.WritableStream);
  });
}
