import type { Workflow } from '../../engine/types.ts';
import { pathInClaim } from '../../recipe/inputs/pvc.ts';
import type { PvcMountInputParam } from '../../recipe/types.ts';
import type { Template, Volume, VolumeMount } from '../../argo/types.ts';
import { inputClaimMountPath, RUN_DIR } from '../layout.ts';
import { shQuote } from '../quote.ts';
import type { TranslateOptions } from '../types.ts';
import { runnerContainer } from './workflow.ts';

/** One volume per distinct claim, named by position: `input-pvc-` and a 63-character claim would exceed a DNS label. */
function claimVolumes(inputs: PvcMountInputParam[]): Array<{ claim: string; volume: string }> {
  return [...new Set(inputs.map((i) => i.claim_name))].map((claim, n) => ({ claim, volume: `input-pvc-${n}` }));
}

/** Read-only mounts of every input claim at /mnt/data/{claim}. */
function inputClaimMounts(inputs: PvcMountInputParam[]): VolumeMount[] {
  return claimVolumes(inputs).map(({ claim, volume }) => ({ name: volume, mountPath: inputClaimMountPath(claim), readOnly: true }));
}

/**
 * Script linking every file matching an input's glob below its folder into `dest`, keeping sub-folders relative to
 * the folder. The glob matches recursively, as Python's Path.rglob: a pattern without "/" matches file names at any
 * depth, one with "/" the end of the path. No match, or two inputs putting different files at one path, fails the step.
 */
export function stageScript(inputs: PvcMountInputParam[], dest: string, links: 'relative' | 'absolute' = 'relative'): string {
  const calls = inputs.map((i) => {
    const rel = pathInClaim(i);
    const folder = rel === '' ? inputClaimMountPath(i.claim_name) : `${inputClaimMountPath(i.claim_name)}/${rel}`;
    return `stage_input ${shQuote(folder)} ${shQuote(i.glob)}`;
  });
  return `set -eu
DEST=${dest}
mkdir -p "$DEST"
stage_input() {
  base=$1
  [ -d "$base" ] || { echo "stage: pvc_mount folder $base is not a directory" >&2; exit 1; }
  case "$2" in */*) test=-path; pattern="*/$2" ;; *) test=-name; pattern=$2 ;; esac
  list=$(mktemp)
  find "$base" -type f "$test" "$pattern" | LC_ALL=C sort > "$list"
  [ -s "$list" ] || { echo "stage: no files match glob $2 below $base" >&2; exit 1; }
  while IFS= read -r file; do
    rel=\${file#"$base"/}
    target="$DEST/$rel"
${
  links === 'relative'
    ? `    # A relative link (../../mnt/data/…): artifact archives keep it as written, while absolute link targets lose
    # their leading "/" on extraction. DEST and /input_dir both sit at the root, so it resolves in either.
    up=../
    d=$rel
    while [ "\${d#*/}" != "$d" ]; do up="../$up"; d=\${d#*/}; done
    link="$up\${file#/}"`
    : `    # On the workflow volume, read in place by pods that mount the claim at the same path.
    link=$file`
}
    if [ -L "$target" ] || [ -e "$target" ]; then
      [ "$(readlink "$target")" = "$link" ] && continue
      echo "stage: $rel is matched by two inputs" >&2; exit 1
    fi
    mkdir -p "$(dirname "$target")"
    ln -s "$link" "$target"
  done < "$list"
  echo "stage: $(wc -l < "$list") files from $base"
  rm -f "$list"
}
${calls.join('\n')}
`;
}

/** Sequential `fetch` for pvc_mount inputs (`dest` must be a top-level folder): links the matching files into `/output_dir/`, handed on as `output-dir`. */
export function buildPvcStageTemplate(inputs: PvcMountInputParam[], options: TranslateOptions): Template {
  const container = runnerContainer(options, stageScript(inputs, '/output_dir'), { volume: 'none' });
  return { name: 'fetch', container, outputs: { artifacts: [{ name: 'output-dir', path: '/output_dir/' }] } };
}

/**
 * Adds the input claims to the workflow: read-only volumes in the spec, mounted in every container and script template, so
 * the links the stage step hands on resolve in every step.
 */
export function withInputClaims(workflow: Workflow, inputs: PvcMountInputParam[]): Workflow {
  if (inputs.length === 0) return workflow;
  const spec = workflow.spec;
  const volumes: Volume[] = claimVolumes(inputs).map(({ claim, volume }) => ({
    name: volume,
    persistentVolumeClaim: { claimName: claim, readOnly: true },
  }));
  const mounts = inputClaimMounts(inputs);
  // The workflow PVC may itself be an input claim: Kubernetes mounts it twice, once read-only.
  spec.volumes = [...(spec.volumes ?? []), ...volumes];
  for (const t of spec.templates ?? []) {
    const body = t.container ?? t.script;
    if (body) body.volumeMounts = [...(body.volumeMounts ?? []), ...mounts];
  }
  return workflow;
}

/** Where the parallel stage step writes the partition count, read back as its `partitions` output parameter. */
const PARTITION_COUNT_PATH = '/tmp/ogdc/partitions';

/**
 * Parallel `fetch` for pvc_mount inputs: links the matching files into the run's `inputs/` folder on the volume,
 * then writes the partition manifests `partitions/partition-<n>.txt` (`partitionSize` paths each, relative to
 * `inputs/`, sub-folders kept) and the partition count, which the fan-outs read at run time: the file count is
 * known only once the claim has been listed, and the manifest does not grow with it.
 */
export function buildPvcPartitionTemplate(inputs: PvcMountInputParam[], partitionSize: number, options: TranslateOptions): Template {
  const script = `${stageScript(inputs, `${RUN_DIR}/inputs`, 'absolute').replace('mkdir -p "$DEST"\n', 'rm -rf "$DEST" "$PARTS"\nmkdir -p "$DEST" "$PARTS"\n').replace('set -eu\n', `set -eu\nPARTS=${RUN_DIR}/partitions\n`)}
list=$(mktemp)
( cd "$DEST" && find . -type l | sed 's|^\\./||' | LC_ALL=C sort ) > "$list"
awk -v dir="$PARTS" -v size=${partitionSize} '{ print > (dir "/partition-" int((NR - 1) / size) ".txt") }' "$list"
count=$(( ($(wc -l < "$list") + ${partitionSize} - 1) / ${partitionSize} ))
rm -f "$list"
mkdir -p "$(dirname ${PARTITION_COUNT_PATH})"
echo "stage: $count partitions of at most ${partitionSize} files"
printf '%s\\n' "$count" > ${PARTITION_COUNT_PATH}
`;
  return {
    name: 'fetch',
    container: runnerContainer(options, script, { volume: 'run-area' }),
    outputs: { parameters: [{ name: 'partitions', valueFrom: { path: PARTITION_COUNT_PATH } }] },
  };
}
