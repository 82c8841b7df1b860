import type { Template } from '../../argo/types.ts';
import { RUN_DIR } from '../layout.ts';
import type { TranslateOptions } from '../types.ts';
import { runnerContainer } from './workflow.ts';

/** Template name of recipe line `index`. */
export function stepTemplateName(index: number): string {
  return `run-step-${index}`;
}

/** Folder on the volume holding what line `index` wrote for one partition (parallel workflows). */
export function parallelStepOutputDir(index: number, partition: string): string {
  return `${RUN_DIR}/step-${index}/partition-${partition}`;
}

/**
 * Sequential recipe line: the previous step's output arrives as `/input_dir/`, the line runs
 * exactly as `sh -c LINE` (passed as `$1`, so no quoting can change it) and `/output_dir/`
 * goes on as the `output-dir` artifact.
 */
export function buildSequentialStepTemplate(index: number, line: string, options: TranslateOptions): Template {
  return {
    name: stepTemplateName(index),
    inputs: { artifacts: [{ name: 'input-dir', path: '/input_dir/' }] },
    outputs: { artifacts: [{ name: 'output-dir', path: '/output_dir/' }] },
    container: runnerContainer(options, 'mkdir -p /output_dir/ && exec sh -c "$1"', {
      volume: 'none',
      extraArgs: [`ogdc-step-${index}`, line],
    }),
  };
}

/**
 * Script of a parallel recipe line for one partition: runs the line (`$1`) once per file with
 * INPUT_FILE, OUTPUT_FILE, INPUT_DIR and OUTPUT_DIR set. Line 0 takes the partition's files
 * from the list the fetch step wrote; later lines take every file the previous line wrote for
 * the same partition. The output folder is emptied first so a retried pod starts clean.
 */
function parallelStepScript(index: number): string {
  const outputDir = parallelStepOutputDir(index, '$PARTITION');
  const head = `set -eu
LINE=$1
PARTITION={{inputs.parameters.partition}}
export OUTPUT_DIR="${outputDir}"
run_line() {
  export INPUT_FILE="$1"
  export OUTPUT_FILE="$OUTPUT_DIR/$(basename "$1")"
  echo "step ${index}: $INPUT_FILE"
  sh -c "$LINE" < /dev/null || { code=$?; echo "step ${index} failed on $INPUT_FILE (exit $code)" >&2; exit "$code"; }
}
rm -rf "$OUTPUT_DIR"
mkdir -p "$OUTPUT_DIR"
`;
  if (index === 0) {
    return `${head}export INPUT_DIR="${RUN_DIR}/inputs"
LIST="${RUN_DIR}/partitions/partition-$PARTITION.txt"
if [ ! -f "$LIST" ]; then
  echo "step 0: partition list $LIST is missing" >&2
  exit 1
fi
while IFS= read -r name; do
  [ -n "$name" ] || continue
  run_line "$INPUT_DIR/$name"
done < "$LIST"
`;
  }
  return `${head}export INPUT_DIR="${parallelStepOutputDir(index - 1, '$PARTITION')}"
if [ ! -d "$INPUT_DIR" ]; then
  echo "step ${index}: input folder $INPUT_DIR is missing" >&2
  exit 1
fi
for file in "$INPUT_DIR"/*; do
  [ -f "$file" ] || continue
  run_line "$file"
done
`;
}

/** Parallel recipe line: one pod per partition (input parameter `partition`), files on the volume. */
export function buildParallelStepTemplate(index: number, line: string, options: TranslateOptions): Template {
  return {
    name: stepTemplateName(index),
    inputs: { parameters: [{ name: 'partition' }] },
    container: runnerContainer(options, parallelStepScript(index), {
      volume: 'run-area',
      extraArgs: [`ogdc-step-${index}`, line],
    }),
  };
}
