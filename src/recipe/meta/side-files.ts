import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseSteps } from '../steps.ts';
import type { ShellWorkflowConfig, VisualizationWorkflowConfig } from '../types.ts';
import type { Checker } from './check.ts';

/** Side files never need to be large; a bound keeps a hostile recipe from exhausting memory. */
const MAX_SIDE_FILE_BYTES = 10 * 1024 * 1024;

/** Reads a file named by meta.yml, reporting at `key` when it is missing, not a file, or outside the recipe. */
async function readSideFile(check: Checker, dir: string, name: string, key: string): Promise<string | undefined> {
  const full = path.join(dir, name);
  try {
    const [real, root] = await Promise.all([realpath(full), realpath(dir)]);
    if (real !== root && !real.startsWith(root + path.sep)) {
      check.report(key, `file ${JSON.stringify(name)} links outside the recipe directory`);
      return undefined;
    }
    const info = await stat(real);
    if (!info.isFile()) {
      check.report(key, `${JSON.stringify(name)} is not a file in the recipe directory`);
      return undefined;
    }
    if (info.size > MAX_SIDE_FILE_BYTES) {
      check.report(key, `file ${JSON.stringify(name)} is ${info.size} bytes; expected at most ${MAX_SIDE_FILE_BYTES}`);
      return undefined;
    }
    return await readFile(real, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist in the recipe directory' : `cannot be read (${code ?? String(error)})`;
    check.report(key, `file ${JSON.stringify(name)} ${why}`);
    return undefined;
  }
}

/** The shell steps of a shell workflow's sh_file. */
export async function readShellSteps(check: Checker, dir: string, workflow: ShellWorkflowConfig): Promise<string[] | undefined> {
  const text = await readSideFile(check, dir, workflow.sh_file, 'workflow.sh_file');
  if (text === undefined) return undefined;
  const steps = parseSteps(text);
  if (steps.length === 0) {
    check.report('workflow.sh_file', `file ${JSON.stringify(workflow.sh_file)} has no steps: every line is empty or a comment`);
    return undefined;
  }
  return steps;
}

/** The parsed JSON object of a visualization workflow's config_file (null when none is given). */
export async function readVizConfig(
  check: Checker,
  dir: string,
  workflow: VisualizationWorkflowConfig,
): Promise<Record<string, unknown> | null | undefined> {
  if (workflow.config_file === null) return null;
  const text = await readSideFile(check, dir, workflow.config_file, 'workflow.config_file');
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    check.report('workflow.config_file', `file ${JSON.stringify(workflow.config_file)} is not valid JSON: ${(error as Error).message}`);
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    check.report('workflow.config_file', `file ${JSON.stringify(workflow.config_file)} must hold a JSON object`);
    return undefined;
  }
  return value as Record<string, unknown>;
}
