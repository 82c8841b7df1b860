import type { OutputConfig } from '../types.ts';
import { type Checker, isRecord, join } from './check.ts';

const OUTPUT_TYPES = ['pvc', 'temporary', 'dataone'] as const;

/**
 * Validates `output` (default `pvc`). A `dataone` output is recognised (so the
 * message can say what is wrong with it) but reported as not publishable yet.
 */
export function checkOutput(check: Checker, value: unknown, workflowType: string | undefined): OutputConfig | undefined {
  if (value === undefined) return { type: 'pvc' };
  let type: OutputConfig['type'] | undefined;
  let inferred = false;
  if (isRecord(value) && value.type === undefined && value.dataone_id !== undefined) {
    // As in the reference model, `dataone_id` alone selects the dataone output.
    type = 'dataone';
    inferred = true;
  } else if (isRecord(value)) {
    type = check.oneOf(value.type, join('output', 'type'), OUTPUT_TYPES);
  }
  const map = check.mapping(value, 'output', type === 'dataone' ? ['type', 'dataone_id'] : ['type']);
  if (!map || type === undefined) return undefined;
  if (type === 'dataone' && map.dataone_id !== undefined) check.string(map.dataone_id, join('output', 'dataone_id'));

  const given = inferred ? `"dataone" (implied by output.dataone_id ${JSON.stringify(map.dataone_id)})` : JSON.stringify(type);
  let ok = true;
  if (workflowType === 'visualization' && type !== 'pvc') {
    check.report('output', `a visualization workflow can only publish to "pvc", but output is ${given}; use output: {type: pvc}`);
    ok = false;
  }
  if (type === 'dataone') {
    check.report('output', `publishing to DataONE is not supported yet; expected output type "pvc" or "temporary"`);
    ok = false;
  }
  return ok ? { type } : undefined;
}
