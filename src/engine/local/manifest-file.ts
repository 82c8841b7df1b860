/** Reading an Argo Workflow from YAML or JSON text, as tolerant as Argo's Go YAML parser where it matters. */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { Workflow } from '../types.ts';
import { ManifestFileError } from './errors.ts';

/**
 * Go's YAML parser accepts a multi-line double-quoted scalar whose closing quote sits at the parent's
 * indentation (Argo's volumes-emptydir example does this); the spec and the `yaml` package do not. Indenting
 * such a lone closing-quote line changes nothing in the value (leading spaces of continuation lines fold).
 */
function indentLoneClosingQuotes(text: string): string {
  return text.replace(/^(\s*)("[\]}][\],}\s]*)$/gm, '$1    $2');
}

/** Parses workflow text (YAML or JSON); throws ManifestFileError naming `source`. */
export function parseWorkflowText(text: string, source: string): Workflow {
  let value: unknown;
  try {
    value = parse(text);
  } catch (first) {
    try {
      value = parse(indentLoneClosingQuotes(text));
    } catch {
      throw new ManifestFileError(source, (first as Error).message.split('\n')[0]!, { cause: first });
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ManifestFileError(source, 'expected a Workflow object');
  const wf = value as Workflow;
  if (wf.kind !== 'Workflow') throw new ManifestFileError(source, `expected kind: Workflow, got ${JSON.stringify(wf.kind ?? null)}`);
  return wf;
}

/** Reads and parses a workflow file. */
export async function readWorkflowFile(file: string): Promise<Workflow> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ManifestFileError(file, `cannot read the file: ${(cause as Error).message}`, { cause });
  }
  return parseWorkflowText(text, file);
}
