import type { Parameter, ResourceRequirements, Template } from '../../argo/types.ts';
import { publishedDir, RUN_DIR } from '../layout.ts';
import type { TranslateOptions } from '../types.ts';
import { containerSecurityContext } from './security.ts';
import { PARTITION_REFS_OUTPUT, PARTITION_REFS_PATH, vizVolumeMounts } from './viz-partitions.ts';

/** The pdgworkflow image of the parallel pipeline when the deployment configures none (as the Python runner). */
const DEFAULT_VIZ_WORKFLOW_IMAGE = 'ghcr.io/permafrostdiscoverygateway/pdgworkflow:latest';

/** Requests and limits per kind of stage, the Python runner's defaults. */
const VIZ_RESOURCES = {
  stage: { requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '2', memory: '6Gi' } },
  raster: { requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '4', memory: '12Gi' } },
  threedtile: { requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '4', memory: '8Gi' } },
  discovery: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '500m', memory: '1Gi' } },
} satisfies Record<string, ResourceRequirements>;

/**
 * What every stage's Python starts with: pdgworkflow's WorkflowManager on the recipe's config.json, run from the
 * recipe's output folder so relative folders in the config resolve there, and the helpers for manifests.
 */
function prelude(recipeId: string): string {
  return `import json
import logging
import os
import shutil
import sys
from pathlib import Path

logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr, level=logging.INFO)
log = logging.getLogger("ogdc-viz")

from pdgworkflow import WorkflowManager

BASE = Path(${JSON.stringify(publishedDir(recipeId))})
PARTITIONS = Path(${JSON.stringify(`${RUN_DIR}/partitions`)})
os.chdir(BASE)
workflow = WorkflowManager(json.loads((BASE / "config.json").read_text()))


def read_manifest(path):
    return json.loads(Path(path).read_text())


def each(label, items, action):
    """Runs action on every item; the first failure fails the pod, naming the item."""
    for n, item in enumerate(items, 1):
        log.info("%s [%d/%d] %s", label, n, len(items), item)
        try:
            action(item)
        except Exception as error:
            log.error("%s FAILED on %s: %s", label, item, error)
            sys.exit(1)


def write_partitions(stage, entries, size):
    """Writes the stage's manifests onto the volume and the compact list of their ids the fan-out takes."""
    folder = PARTITIONS / stage
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    refs = []
    for n, start in enumerate(range(0, len(entries), size)):
        (folder / f"partition-{n}.json").write_text(json.dumps(entries[start : start + size]))
        refs.append({"partition_id": n})
    Path(${JSON.stringify(PARTITION_REFS_PATH)}).parent.mkdir(parents=True, exist_ok=True)
    Path(${JSON.stringify(PARTITION_REFS_PATH)}).write_text(json.dumps(refs))
    log.info("%s: %d entries in %d partitions of at most %d", stage, len(entries), len(refs), size)

`;
}

const SOURCES = {
  'stage-files': `files = read_manifest("{{inputs.parameters.partition-manifest-path}}")
log.info("partition {{inputs.parameters.partition-id}}: staging %d files", len(files))
each("stage", files, workflow.stage)
`,
  'discover-staged-tiles': (size: number) => `max_z = workflow.config.get_max_z()
staged = sorted(workflow.tiles.get_filenames_from_dir("staged", z=max_z))
write_partitions("staged-tiles", staged, ${size})
`,
  'discover-parent-tiles': (size: number) => `z = int("{{inputs.parameters.z-level}}")
parents = set()
for child in workflow.tiles.get_filenames_from_dir("geotiff", z=z + 1):
    parent = workflow.tiles.get_parent_tile(child)
    if parent is not None:
        parents.add(parent)
entries = [{"z": z, "path": workflow.tiles.path_from_tile(t, base_dir="geotiff")} for t in sorted(parents)]
write_partitions(f"parent-tiles-z-{z}", entries, ${size})
`,
  'discover-all-geotiffs': (size: number) => `entries = [
    {"z": int(workflow.tiles.dict_from_path(path)["z"]), "path": path}
    for path in sorted(workflow.tiles.get_filenames_from_dir("geotiff"))
]
write_partitions("geotiffs", entries, ${size})
`,
  'rasterize-max-z': `each("rasterize", read_manifest("{{inputs.parameters.staged-tiles-manifest-path}}"), workflow.rasterize_vector)
`,
  'create-composite-z': `tiler = workflow.init_raster_tiler()
each(
    "composite",
    read_manifest("{{inputs.parameters.parent-tiles-manifest-path}}"),
    lambda item: tiler.parent_geotiff_from_children(workflow.tiles.tile_from_path(str(item["path"]))),
)
`,
  // Listed pvc_mount inputs are plain paths, discovered GeoTIFFs carry their zoom level.
  'create-web-tiles': `tiler = workflow.init_raster_tiler()
each(
    "web tile",
    read_manifest("{{inputs.parameters.geotiff-manifest-path}}"),
    lambda item: tiler.webtile_from_geotiff(str(item["path"]) if isinstance(item, dict) else str(item)),
)
`,
  'create-3dtiles': `each("3d tile", read_manifest("{{inputs.parameters.staged-tiles-manifest-path}}"), workflow.staged_to_3dtile)
`,
};

/** Templates of the pdgworkflow stages, named as in the Python runner. */
export type VizStage = keyof typeof SOURCES;

const STAGE_INPUTS: Record<VizStage, string[]> = {
  'stage-files': ['partition-id', 'partition-manifest-path'],
  'discover-staged-tiles': [],
  'discover-parent-tiles': ['z-level'],
  'discover-all-geotiffs': [],
  'rasterize-max-z': ['staged-tiles-manifest-path'],
  'create-composite-z': ['parent-tiles-manifest-path'],
  'create-web-tiles': ['geotiff-manifest-path'],
  'create-3dtiles': ['staged-tiles-manifest-path'],
};

const STAGE_RESOURCES: Record<VizStage, ResourceRequirements> = {
  'stage-files': VIZ_RESOURCES.stage,
  'discover-staged-tiles': VIZ_RESOURCES.discovery,
  'discover-parent-tiles': VIZ_RESOURCES.discovery,
  'discover-all-geotiffs': VIZ_RESOURCES.discovery,
  'rasterize-max-z': VIZ_RESOURCES.raster,
  'create-composite-z': VIZ_RESOURCES.raster,
  'create-web-tiles': VIZ_RESOURCES.stage,
  'create-3dtiles': VIZ_RESOURCES.threedtile,
};

/** The Python source of one stage (discovery stages cut their lists into partitions of `partitionSize`). */
function vizStageSource(recipeId: string, stage: VizStage, partitionSize: number): string {
  const body = SOURCES[stage];
  return prelude(recipeId) + (typeof body === 'string' ? body : body(partitionSize));
}

/**
 * One stage as a script template in the pdgworkflow image. It mounts the recipe's output folder and the run's
 * area only; discovery stages hand the fan-out its partition list as output parameter `partitions`.
 */
export function buildVizStageTemplate(recipeId: string, stage: VizStage, partitionSize: number, options: TranslateOptions): Template {
  const parameters: Parameter[] = STAGE_INPUTS[stage].map((name) => ({ name }));
  const discovery = stage.startsWith('discover-');
  return {
    name: stage,
    ...(parameters.length > 0 ? { inputs: { parameters } } : {}),
    ...(discovery ? { outputs: { parameters: [{ name: PARTITION_REFS_OUTPUT, valueFrom: { path: PARTITION_REFS_PATH } }] } } : {}),
    script: {
      image: options.vizWorkflowImage ?? DEFAULT_VIZ_WORKFLOW_IMAGE,
      imagePullPolicy: options.imagePullPolicy,
      command: ['python'],
      source: vizStageSource(recipeId, stage, partitionSize),
      volumeMounts: vizVolumeMounts(recipeId),
      resources: STAGE_RESOURCES[stage],
      securityContext: containerSecurityContext(),
    },
  };
}
