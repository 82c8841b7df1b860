import type { Script, Template } from '../../argo/types.ts';
import { publishedDir } from '../layout.ts';
import { shQuote } from '../quote.ts';
import type { TranslateOptions } from '../types.ts';
import { containerSecurityContext } from './security.ts';
import { runnerContainer, volumeMounts } from './workflow.ts';

/** pdgstaging image used when the deployment configures none. */
export const DEFAULT_VIZ_IMAGE = 'ghcr.io/permafrostdiscoverygateway/viz-workflow:latest';

/** Sub-folders of the serial form's output folder: fetched inputs, batch files, tiles. */
const SERIAL_DIRS = ['input', 'batch', 'output'];

/** `"$DIR/sub"` for a plain relative folder name, else the name quoted. */
function subDir(dir: string): string {
  return /^[A-Za-z0-9_.\/-]+$/.test(dir) ? `"$DIR/${dir}"` : `"$DIR"/${shQuote(dir)}`;
}

/**
 * `stage-viz-config`: claims the recipe's output folder on the volume (refusing an existing one
 * unless overwrite), creates its sub-folders and writes `config.json`. The config is the
 * recipe's own small file, so it is inlined rather than uploaded.
 */
function vizConfigScript(recipeId: string, config: Record<string, unknown>, overwrite: boolean, dirs: string[] = SERIAL_DIRS): string {
  return `set -eu
DIR=${shQuote(publishedDir(recipeId))}
OVERWRITE=${overwrite}
if [ -e "$DIR" ] && [ "$OVERWRITE" != true ]; then
  echo "stage-viz-config: recipe ${shQuote(recipeId)} already has a published output at $DIR; submit with overwrite to replace it" >&2
  exit 1
fi
rm -rf "$DIR"
mkdir -p ${dirs.length > 0 ? dirs.map(subDir).join(' ') : '"$DIR"'}
printf '%s\\n' ${shQuote(JSON.stringify(config, null, 2))} > "$DIR/config.json"
echo "stage-viz-config: wrote $DIR/config.json"
`;
}

/** Template writing the visualization config onto the volume (runner image), creating `dirs` below the output folder. */
export function buildVizConfigTemplate(
  recipeId: string,
  config: Record<string, unknown>,
  options: TranslateOptions,
  dirs: string[] = SERIAL_DIRS,
): Template {
  return {
    name: 'stage-viz-config',
    container: runnerContainer(options, vizConfigScript(recipeId, config, options.overwrite, dirs), { volume: 'volume' }),
  };
}

function vizScript(options: TranslateOptions, source: string): Script {
  return {
    image: options.vizImage ?? DEFAULT_VIZ_IMAGE,
    imagePullPolicy: options.imagePullPolicy,
    command: ['python'],
    source,
    ...volumeMounts('volume'),
    securityContext: containerSecurityContext(),
  };
}

/**
 * Python of `batch`: splits every input file (sub-folders of `input/` included, where pvc_mount
 * inputs keep theirs) into files of `batchSize` features and prints the JSON list of their names
 * (relative to `batch/`, to keep `outputs.result` small).
 */
function batchSource(recipeId: string, batchSize: number): string {
  return `import json
import sys
from pathlib import Path

import geopandas as gpd

base = Path(${JSON.stringify(publishedDir(recipeId))})
batch_size = ${batchSize}
names = []
for source in sorted(p for p in (base / "input").rglob("*") if p.is_file()):
    frame = gpd.read_file(source)
    for start in range(0, len(frame), batch_size):
        name = f"chunk-{len(names)}.gpkg"
        frame[start : start + batch_size].to_file(base / "batch" / name, driver="GPKG")
        names.append(name)
        print(f"batch: {source.name} features {start}.. -> {name}", file=sys.stderr)
if not names:
    sys.exit("batch: the inputs contain no features")
print(json.dumps(names))
`;
}

/** Python of `tile`: stages one batch file into vector tiles with pdgstaging. */
function tileSource(recipeId: string): string {
  return `import json
import os
import sys
from pathlib import Path

from pdgstaging import TileStager

base = Path(${JSON.stringify(publishedDir(recipeId))})
# Relative directories in config.json resolve inside the recipe's output folder.
os.chdir(base)
config = json.loads((base / "config.json").read_text())
chunk = base / "batch" / "{{inputs.parameters.chunk}}"
print(f"tile: staging {chunk}", file=sys.stderr)
TileStager(config, check_footprints=False).stage(str(chunk))
print(f"tile: staged {chunk}", file=sys.stderr)
`;
}

/** `batch` template (viz image); its stdout is the fan-out list. */
export function buildBatchTemplate(recipeId: string, batchSize: number, options: TranslateOptions): Template {
  return { name: 'batch', script: vizScript(options, batchSource(recipeId, batchSize)) };
}

/** `tile` template (viz image), one pod per batch file named by input parameter `chunk`. */
export function buildTileTemplate(recipeId: string, options: TranslateOptions): Template {
  return { name: 'tile', inputs: { parameters: [{ name: 'chunk' }] }, script: vizScript(options, tileSource(recipeId)) };
}
