import { pathInClaim } from '../../recipe/inputs/pvc.ts';
import type { PvcMountInputParam } from '../../recipe/types.ts';
import type { Template, VolumeMount } from '../../argo/types.ts';
import { inputClaimMountPath, publishedDir, RUN_AREA_SUBPATH, RUN_DIR, VOLUME_NAME } from '../layout.ts';
import { shQuote } from '../quote.ts';
import type { TranslateOptions } from '../types.ts';
import { runnerContainer } from './workflow.ts';

/** Output parameter of every step that writes partition manifests: the JSON list `[{"partition_id": 0}, …]`. */
export const PARTITION_REFS_OUTPUT = 'partitions';
/** Where those steps write that list, read back by the output parameter. */
export const PARTITION_REFS_PATH = '/tmp/ogdc/partitions.json';

/** Folder of one stage's partition manifests (`partition-<n>.json`, each a JSON list) in the run's area. */
function vizPartitionDir(stage: string): string {
  return `${RUN_DIR}/partitions/${stage}`;
}

/** The manifest path a fan-out child reads, `{{item.partition_id}}` filled in by Argo per child. */
export function vizPartitionPathArg(stage: string): string {
  return `${vizPartitionDir(stage)}/partition-{{item.partition_id}}.json`;
}

/** `withParam` of a fan-out over the partitions task `task` wrote. */
export function partitionsOf(task: string): string {
  return `{{tasks.${task}.outputs.parameters.${PARTITION_REFS_OUTPUT}}}`;
}

/**
 * What of the workflow volume a parallel visualization pod sees: the recipe's output folder and the run's own
 * area, each mounted by `subPath` where it sits on the whole volume. Whatever folders config.json names, the
 * pipeline cannot reach another recipe's output.
 */
export function vizVolumeMounts(recipeId: string): VolumeMount[] {
  return [
    { name: VOLUME_NAME, mountPath: publishedDir(recipeId), subPath: recipeId },
    { name: VOLUME_NAME, mountPath: RUN_DIR, subPath: RUN_AREA_SUBPATH },
  ];
}

/** A folder and the glob its files must match (recursively, as the shell recipes' pvc_mount staging). */
interface ListedSource {
  folder: string;
  glob: string;
}

/** The folder and glob of each pvc_mount input as its pods see them. */
function claimSources(inputs: PvcMountInputParam[]): ListedSource[] {
  return inputs.map((i) => {
    const rel = pathInClaim(i);
    return { folder: rel === '' ? inputClaimMountPath(i.claim_name) : `${inputClaimMountPath(i.claim_name)}/${rel}`, glob: i.glob };
  });
}

/**
 * Script listing every file matching the sources at run time and writing the partition manifests of `stage`:
 * `partition-<n>.json` (a JSON list of at most `size` absolute paths, sorted), `all-files.json` (every path),
 * and the compact list of partition ids the fan-out takes. A glob without "/" matches file names at any depth,
 * one with "/" the end of the path. No match, or a file name with a line break, fails the step.
 */
function partitionWriterScript(sources: ListedSource[], stage: string, size: number): string {
  const calls = sources.map((s) => `list_input ${shQuote(s.folder)} ${shQuote(s.glob)}`);
  return `set -eu
PARTS=${vizPartitionDir(stage)}
REFS=${PARTITION_REFS_PATH}
rm -rf "$PARTS"
mkdir -p "$PARTS" "$(dirname "$REFS")"
list=$(mktemp)
sorted=$(mktemp)
NL=$(printf '\\nx')
NL=\${NL%x}
list_input() {
  base=$1
  [ -d "$base" ] || { echo "list: input folder $base is not a directory" >&2; exit 1; }
  if [ -n "$(find "$base" -name "*$NL*" -print | head -n 1)" ]; then
    echo "list: a file name below $base contains a line break, which a partition manifest cannot carry" >&2
    exit 1
  fi
  case "$2" in */*) test=-path; pattern="*/$2" ;; *) test=-name; pattern=$2 ;; esac
  find "$base" -type f "$test" "$pattern" >> "$list"
}
${calls.join('\n')}
LC_ALL=C sort -u "$list" > "$sorted"
[ -s "$sorted" ] || { echo "list: no input files match" >&2; exit 1; }
# JSON strings by hand (the runner image has no JSON tool): backslash, quote and control characters escaped.
LC_ALL=C awk -v dir="$PARTS" -v size=${size} -v refs="$REFS" '
function rep(s, from, to,   out, i) {
  out = ""
  while ((i = index(s, from)) > 0) { out = out substr(s, 1, i - 1) to; s = substr(s, i + length(from)) }
  return out s
}
function esc(s,   i) {
  s = rep(s, "\\\\", "\\\\\\\\")
  s = rep(s, "\\"", "\\\\\\"")
  for (i = 1; i < 32; i++) s = rep(s, sprintf("%c", i), sprintf("\\\\u%04x", i))
  return "\\"" s "\\""
}
{
  p = int((NR - 1) / size)
  f = dir "/partition-" p ".json"
  e = esc($0)
  if ((NR - 1) % size == 0) {
    if (NR > 1) { printf "]\\n" > last; close(last) }
    printf "[%s", e > f
    last = f
  } else printf ", %s", e > f
  printf "%s%s", (NR == 1 ? "[" : ", "), e > (dir "/all-files.json")
}
END {
  printf "]\\n" > last
  printf "]\\n" > (dir "/all-files.json")
  printf "[" > refs
  for (i = 0; i <= p; i++) printf "%s{\\"partition_id\\": %d}", (i ? ", " : ""), i > refs
  printf "]\\n" > refs
}' "$sorted"
echo "list: $(wc -l < "$sorted") files in $PARTS, at most ${size} per partition"
rm -f "$list" "$sorted"
`;
}

function partitionWriterTemplate(
  name: string,
  sources: ListedSource[],
  stage: string,
  size: number,
  mounts: VolumeMount[],
  options: TranslateOptions,
): Template {
  const container = { ...runnerContainer(options, partitionWriterScript(sources, stage, size), { volume: 'none' }), volumeMounts: mounts };
  return {
    name,
    container,
    outputs: { parameters: [{ name: PARTITION_REFS_OUTPUT, valueFrom: { path: PARTITION_REFS_PATH } }] },
  };
}

/** `list-pvc-files`: lists the pvc_mount inputs at run time into the `pvc-inputs` manifests (files read in place). */
export function buildListPvcFilesTemplate(inputs: PvcMountInputParam[], size: number, options: TranslateOptions): Template {
  const runArea: VolumeMount = { name: VOLUME_NAME, mountPath: RUN_DIR, subPath: RUN_AREA_SUBPATH };
  return partitionWriterTemplate('list-pvc-files', claimSources(inputs), 'pvc-inputs', size, [runArea], options);
}

/** Folder the parallel visualization downloads URL and DataONE inputs to, inside the recipe's output folder. */
export function vizInputDir(recipeId: string): string {
  return `${publishedDir(recipeId)}/input`;
}

/** `write-stage-partition-manifests`: the downloaded inputs into the `stage-files` manifests. */
export function buildStageManifestsTemplate(recipeId: string, size: number, options: TranslateOptions): Template {
  return partitionWriterTemplate(
    'write-stage-partition-manifests',
    [{ folder: vizInputDir(recipeId), glob: '*' }],
    'stage-files',
    size,
    vizVolumeMounts(recipeId),
    options,
  );
}
