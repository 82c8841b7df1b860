import type { ParallelConfig, ShellWorkflowConfig, VisualizationWorkflowConfig } from '../types.ts';
import { type Checker, isRecord, join } from './check.ts';

const SHELL_KEYS = ['type', 'sh_file', 'parallel'] as const;
const VIZ_KEYS = ['type', 'config_file', 'batch_size', 'parallel'] as const;
const PARALLEL_KEYS = ['enabled', 'partition_strategy', 'partition_size', 'max_parallelism'] as const;

/** Validates `workflow`; side files are checked later by the loader. */
export function checkWorkflow(check: Checker, value: unknown): ShellWorkflowConfig | VisualizationWorkflowConfig | undefined {
  const path = 'workflow';
  if (value === undefined) {
    check.report(path, 'required key is missing; expected a mapping with "type" ("shell" or "visualization")');
    return undefined;
  }
  const type = isRecord(value) ? check.oneOf(value.type, join(path, 'type'), ['shell', 'visualization'] as const) : undefined;
  // With an unknown type we cannot know which keys belong; accept the union so only `type` is reported.
  const allowed = type === 'shell' ? SHELL_KEYS : type === 'visualization' ? VIZ_KEYS : [...new Set([...SHELL_KEYS, ...VIZ_KEYS])];
  const map = check.mapping(value, path, allowed);
  if (!map) return undefined;
  const parallel = checkParallel(check, map.parallel, join(path, 'parallel'));

  if (type === 'shell') {
    const shFile = map.sh_file === undefined ? 'recipe.sh' : checkRelativeFile(check, map.sh_file, join(path, 'sh_file'));
    if (shFile === undefined || parallel === undefined) return undefined;
    return { type, sh_file: shFile, parallel };
  }
  if (type === 'visualization') {
    const configFile =
      map.config_file === undefined || map.config_file === null
        ? null
        : checkRelativeFile(check, map.config_file, join(path, 'config_file'));
    const batchSize = check.positiveInt(map.batch_size, join(path, 'batch_size'), 250, false);
    if (configFile === undefined || batchSize === undefined || batchSize === null || parallel === undefined) return undefined;
    return { type, config_file: configFile, batch_size: batchSize, parallel };
  }
  return undefined;
}

function checkParallel(check: Checker, value: unknown, path: string): ParallelConfig | undefined {
  if (value === undefined) return { enabled: false, partition_strategy: 'files', partition_size: null };
  const map = check.mapping(value, path, PARALLEL_KEYS);
  if (!map) return undefined;
  const enabled = check.boolean(map.enabled, join(path, 'enabled'), false);
  const strategy = check.oneOf(map.partition_strategy, join(path, 'partition_strategy'), ['files'] as const, 'files');
  const size = check.positiveInt(map.partition_size, join(path, 'partition_size'), null, true);
  const maxParallelism = check.positiveInt(map.max_parallelism, join(path, 'max_parallelism'), null, true);
  if (enabled === undefined || strategy === undefined || size === undefined || maxParallelism === undefined) return undefined;
  const parallel: ParallelConfig = { enabled, partition_strategy: strategy, partition_size: size };
  if (maxParallelism !== null) parallel.max_parallelism = maxParallelism;
  return parallel;
}

/** A file name relative to the recipe directory that cannot point outside it. */
function checkRelativeFile(check: Checker, value: unknown, path: string): string | undefined {
  const name = check.string(value, path);
  if (name === undefined) return undefined;
  const parts = name.split(/[\\/]+/);
  if (name.startsWith('/') || name.startsWith('\\') || parts.includes('..') || name.includes('\0')) {
    check.report(path, `expected a file name relative to the recipe directory, got ${JSON.stringify(name)}`);
    return undefined;
  }
  return parts.filter((p) => p !== '' && p !== '.').join('/');
}
