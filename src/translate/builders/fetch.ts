import type { InputFile } from '../../recipe/types.ts';
import type { Template, VolumeMount } from '../../argo/types.ts';
import { RUN_DIR } from '../layout.ts';
import { shQuote } from '../quote.ts';
import { fetchFunction } from './fetch-function.ts';
import type { TranslateOptions } from '../types.ts';
import { runnerContainer } from './workflow.ts';

/** Where the parallel fetch step finds the uploaded input list. */
const INPUT_LIST_PATH = '/tmp/ogdc/inputs.tsv';

/**
 * The fetch pod is the only one that needs the network: the local engine gives a pod network
 * only when its template carries this annotation (recipe steps get none by default).
 */
export const NETWORK_ANNOTATION = 'ogdc.dataone.org/network';
const FETCH_METADATA = { annotations: { [NETWORK_ANNOTATION]: 'egress' } };

/** Script downloading each input, listed in the script itself, into `dest` under its file name. */
export function inlineFetchScript(inputs: InputFile[], dest: string, allowPrivate = false): string {
  const calls = inputs.map((i) => `fetch_input ${shQuote(i.url)} ${shQuote(i.filename)}`);
  return ['set -eu', `DEST=${dest}`, 'mkdir -p "$DEST"', fetchFunction(allowPrivate), ...calls, ''].join('\n');
}

/** Sequential `fetch`: every input into `/output_dir/`, handed on as the `output-dir` artifact. */
export function buildSequentialFetchTemplate(inputs: InputFile[], options: TranslateOptions): Template {
  return {
    name: 'fetch',
    metadata: FETCH_METADATA,
    container: runnerContainer(options, inlineFetchScript(inputs, '/output_dir', options.allowPrivateSources), { volume: 'none' }),
    outputs: { artifacts: [{ name: 'output-dir', path: '/output_dir/' }] },
  };
}

/**
 * The loop of a fetch step reading its input list: `URL<TAB>NAME` lines from the uploaded list, each downloaded
 * into `$DEST`, then `afterEach` (with `$name` and the 0-based `$n`). The expected count guards against a list
 * that does not match the manifest.
 */
function listedLoop(expectedCount: number, afterEach: string): string {
  return `TAB=$(printf '\\t')
n=0
while IFS="$TAB" read -r url name; do
  [ -n "$url" ] || continue
  fetch_input "$url" "$name" < /dev/null
${afterEach}  n=$((n + 1))
done < ${INPUT_LIST_PATH}
if [ "$n" -ne ${expectedCount} ]; then
  echo "fetch: the input list has $n entries, the workflow expects ${expectedCount}" >&2
  exit 1
fi
`;
}

/**
 * Script of the parallel `fetch`: reads `URL<TAB>NAME` lines from the uploaded list, downloads
 * each into the run's `inputs/` folder and appends its name to `partitions/partition-<n>.txt`,
 * `partitionSize` names per partition. The expected count guards against a list that does not
 * match the manifest's partition count.
 */
function listedFetchScript(expectedCount: number, partitionSize: number, allowPrivate = false): string {
  return `set -eu
RUN_DIR=${RUN_DIR}
DEST="$RUN_DIR/inputs"
rm -rf "$DEST" "$RUN_DIR/partitions"
mkdir -p "$DEST" "$RUN_DIR/partitions"
${fetchFunction(allowPrivate)}
${listedLoop(expectedCount, `  printf '%s\\n' "$name" >> "$RUN_DIR/partitions/partition-$((n / ${partitionSize})).txt"\n`)}`;
}

/** Script downloading the uploaded input list into `dest` (the parallel visualization's `fetch`). */
function listedDownloadScript(dest: string, expectedCount: number, allowPrivate = false): string {
  return `set -eu
DEST=${dest}
mkdir -p "$DEST"
${fetchFunction(allowPrivate)}
${listedLoop(expectedCount, '')}`;
}

/** Parallel `fetch`: inputs onto the workflow volume, the list read from a key-only artifact. */
export function buildParallelFetchTemplate(
  inputListKey: string,
  expectedCount: number,
  partitionSize: number,
  options: TranslateOptions,
): Template {
  return {
    name: 'fetch',
    metadata: FETCH_METADATA,
    inputs: { artifacts: [{ name: 'input-list', path: INPUT_LIST_PATH, s3: { key: inputListKey } }] },
    container: runnerContainer(options, listedFetchScript(expectedCount, partitionSize, options.allowPrivateSources), {
      volume: 'run-area',
    }),
  };
}

/**
 * The parallel visualization's `fetch`: the uploaded input list downloaded into `dest` inside the recipe's output
 * folder, which the pod mounts alone (`mounts`).
 */
export function buildListedDownloadTemplate(
  inputListKey: string,
  expectedCount: number,
  dest: string,
  mounts: VolumeMount[],
  options: TranslateOptions,
): Template {
  const container = runnerContainer(options, listedDownloadScript(dest, expectedCount, options.allowPrivateSources), { volume: 'none' });
  return {
    name: 'fetch',
    metadata: FETCH_METADATA,
    inputs: { artifacts: [{ name: 'input-list', path: INPUT_LIST_PATH, s3: { key: inputListKey } }] },
    container: { ...container, volumeMounts: mounts },
  };
}
