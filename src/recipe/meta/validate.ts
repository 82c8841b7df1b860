import type { InputParam, OutputConfig, ShellWorkflowConfig, VisualizationWorkflowConfig } from '../types.ts';
import { Checker } from './check.ts';
import { checkInput } from './input.ts';
import { checkOutput } from './output.ts';
import { checkWorkflow } from './workflow.ts';

const TOP_KEYS = ['name', 'workflow', 'input', 'output'] as const;
const NAME_PATTERN = /^[a-zA-Z0-9 .-]+$/;

/** What could be validated of meta.yml; a part is undefined when it has problems (see `check.problems`). */
interface MetaDraft {
  name: string | undefined;
  workflow: ShellWorkflowConfig | VisualizationWorkflowConfig | undefined;
  params: Array<InputParam | undefined> | undefined;
  output: OutputConfig | undefined;
}

/** Recipe id from its name: lower case, spaces replaced by `-`. */
export function recipeId(name: string): string {
  return name.toLowerCase().replaceAll(' ', '-');
}

/** Validates the parsed meta.yml value against the recipe model, reporting every problem into `check`. */
export function checkMeta(check: Checker, value: unknown): MetaDraft {
  const empty: MetaDraft = { name: undefined, workflow: undefined, params: undefined, output: undefined };
  if (value === undefined || value === null) {
    check.report('', 'the file is empty; expected a mapping with "name", "workflow", "input" and optionally "output"');
    return empty;
  }
  const map = check.mapping(value, '', TOP_KEYS);
  if (!map) return empty;
  const name = checkName(check, map.name);
  const workflow = checkWorkflow(check, map.workflow);
  const params = checkInput(check, map.input);
  const workflowType = typeof map.workflow === 'object' && map.workflow ? (map.workflow as { type?: unknown }).type : undefined;
  const output = checkOutput(check, map.output, typeof workflowType === 'string' ? workflowType : undefined);
  return { name, workflow, params, output };
}

function checkName(check: Checker, value: unknown): string | undefined {
  const name = check.string(value, 'name');
  if (name === undefined) return undefined;
  if (!NAME_PATTERN.test(name)) {
    check.report('name', `expected only letters, digits, spaces, "." and "-" (pattern ^[a-zA-Z0-9 .-]+$), got ${JSON.stringify(name)}`);
    return undefined;
  }
  // The id becomes part of Kubernetes object names, which must start with an alphanumeric character.
  if (!/^[a-zA-Z0-9]/.test(name)) {
    check.report('name', `must start with a letter or digit (it becomes part of Kubernetes names), got ${JSON.stringify(name)}`);
    return undefined;
  }
  return name;
}
