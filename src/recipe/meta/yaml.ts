import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node } from 'yaml';
import type { RecipeProblem } from '../errors.ts';

/** A parsed YAML file: its plain value, syntax problems, and the line of each key path. */
interface ParsedYaml {
  value: unknown;
  problems: RecipeProblem[];
  /** Line of the key (or list item) at a path such as `input.params[0].type`. */
  lines: Map<string, number>;
}

/** Parses YAML text, reporting every syntax error with its line instead of throwing. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const counter = new LineCounter();
  // prettyErrors adds code excerpts to messages; we want one-line messages with our own line numbers.
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const problems: RecipeProblem[] = doc.errors.map((error) => ({
    file,
    path: '',
    line: counter.linePos(error.pos[0]).line,
    message: `YAML syntax error: ${error.message}`,
  }));
  const lines = new Map<string, number>();
  if (doc.contents) collectLines(doc.contents, '', counter, lines);
  let value: unknown;
  if (problems.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      problems.push({ file, path: '', message: `YAML could not be read: ${(error as Error).message}` });
    }
  }
  return { value, problems, lines };
}

function collectLines(node: Node, prefix: string, counter: LineCounter, lines: Map<string, number>): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) continue;
      const path = prefix ? `${prefix}.${key}` : key;
      const range = (pair.key as Node).range;
      if (range) lines.set(path, counter.linePos(range[0]).line);
      if (pair.value && typeof pair.value === 'object') collectLines(pair.value as Node, path, counter, lines);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const path = `${prefix}[${index}]`;
      const itemNode = item as Node;
      if (itemNode?.range) lines.set(path, counter.linePos(itemNode.range[0]).line);
      if (itemNode && typeof itemNode === 'object') collectLines(itemNode, path, counter, lines);
    });
  }
}
