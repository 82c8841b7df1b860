/** Reading an Argo Workflow from YAML or JSON text, as tolerant as Argo's Go YAML parser where it matters. */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments, type ScalarTag } from 'yaml';
import type { Workflow } from '../../types.ts';
import { ManifestFileError } from '../errors.ts';

/**
 * Go's YAML parser accepts a multi-line quoted scalar whose closing quote sits at the parent's indentation
 * (Argo's volumes-emptydir and secrets examples do this); the spec and the `yaml` package do not. Indenting such
 * a lone closing-quote line changes nothing in the value (leading spaces of continuation lines fold).
 */
function indentLoneClosingQuotes(text: string): string {
  return text.replace(/^(\s*)(["'][\]}][\],}\s]*)$/gm, '$1    $2');
}

/** One document of a manifest file: a Workflow or any other Kubernetes object. */
export type ManifestDoc = Omit<Workflow, 'kind'> & { kind: string };

/** `line N: message` from the `yaml` package's error (its text repeats the source). */
function yamlMessage(err: unknown): string {
  const e = err as Error & { linePos?: Array<{ line: number; col: number }> };
  const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ${first}` : first;
}

/**
 * Go's YAML (YAML 1.1 integers: strconv.ParseInt with base 0) reads a plain `0755` as octal 493, as Argo's
 * examples mean for artifact `mode`s; YAML 1.2's core schema (the `yaml` package's default) reads decimal 755.
 */
const goOctal: ScalarTag = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: /^[-+]?0[0-7]+$/,
  resolve: (text) => parseInt(text, 8),
};

function parseDocuments(text: string): unknown[] {
  // Go's YAML (sigs.k8s.io/yaml) keeps the last of duplicated keys; it does not refuse them.
  const docs = parseAllDocuments(text, { uniqueKeys: false, customTags: (tags) => [goOctal, ...tags] });
  if (!Array.isArray(docs)) return [];
  const firstError = docs.flatMap((d) => d.errors)[0];
  if (firstError) throw firstError;
  return docs.map((d) => d.toJS({ maxAliasCount: 1000 }) as unknown).filter((v) => v !== null && v !== undefined);
}

/** Every document of a file (Workflows, templates, config maps…); throws ManifestFileError naming `source`. */
export function parseWorkflowDocuments(text: string, source: string): ManifestDoc[] {
  let values: unknown[];
  try {
    values = parseDocuments(text);
  } catch (first) {
    try {
      values = parseDocuments(indentLoneClosingQuotes(text));
    } catch {
      throw new ManifestFileError(source, yamlMessage(first), { cause: first });
    }
  }
  values.forEach((value, i) => {
    const where = values.length > 1 ? `document ${i + 1}: ` : '';
    if (typeof value !== 'object' || Array.isArray(value))
      throw new ManifestFileError(
        source,
        `${where}expected a Kubernetes object (a mapping with kind), got ${Array.isArray(value) ? 'a list' : typeof value}`,
      );
    if (typeof (value as ManifestDoc).kind !== 'string') throw new ManifestFileError(source, `${where}field kind is missing`);
  });
  return values as ManifestDoc[];
}

/** Parses workflow text (YAML or JSON) holding one Workflow (other documents may be templates); throws ManifestFileError. */
export function parseWorkflowText(text: string, source: string): Workflow {
  const docs = parseWorkflowDocuments(text, source);
  const wfs = docs.filter((d) => d.kind === 'Workflow');
  if (wfs.length === 1) return wfs[0] as Workflow;
  if (wfs.length > 1) throw new ManifestFileError(source, `expected one Workflow, found ${wfs.length}`);
  throw new ManifestFileError(
    source,
    `expected kind: Workflow, got ${docs.map((d) => JSON.stringify(d.kind)).join(', ') || 'an empty file'}`,
  );
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new ManifestFileError(file, `cannot read the file: ${(cause as Error).message}`, { cause });
  }
}

/** Reads every document of a file. */
export async function readWorkflowDocuments(file: string): Promise<ManifestDoc[]> {
  return parseWorkflowDocuments(await readText(file), file);
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
