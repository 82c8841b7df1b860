import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Workflow } from '../../src/engine/types.ts';
import type { Template, WorkflowSpec } from '../../src/argo/types.ts';

/**
 * Stand-ins for the visualization images: a `python` on PATH that runs this host's python3 with a small `pdgworkflow`
 * module offering the calls the generated stages make, with the same kind of file effects on the recipe's output
 * folder: an input file lists tiles ("x y" per line) at the deepest zoom level; staging writes
 * `staged/<z>/<x>/<y>.gpkg`, rasterizing `geotiff/…tif`, composites the parent GeoTIFFs from their children,
 * `web_tiles/…png` and `output/3dtiles/…b3dm`. Each written file lists what it was made from. The serial form's
 * geopandas and pdgstaging stand-ins do the same for its batches.
 */
const PDGWORKFLOW = `import fcntl
import json
from collections import namedtuple
from pathlib import Path

Tile = namedtuple("Tile", "z x y")
DIRS = {"input": "input", "staged": "staged", "geotiff": "geotiff", "web_tiles": "web_tiles", "3dtiles": "output/3dtiles"}
EXT = {"staged": ".gpkg", "geotiff": ".tif", "web_tiles": ".png", "3dtiles": ".b3dm"}


class ConfigManager:
    def __init__(self, config):
        self.config = config

    def get(self, key):
        return self.config.get(key, DIRS.get(key.removeprefix("dir_")))

    def get_max_z(self):
        return self.config.get("z_range", [0, 12])[1]


class TilePathManager:
    def __init__(self, config):
        self.config = config

    def base(self, name):
        return Path(self.config.get("dir_" + name))

    def get_filenames_from_dir(self, name, z=None):
        root = self.base(name) if z is None else self.base(name) / str(z)
        return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []

    def tile_from_path(self, path):
        p = Path(path)
        return Tile(int(p.parent.parent.name), int(p.parent.name), int(p.name.split(".")[0]))

    def dict_from_path(self, path):
        return self.tile_from_path(path)._asdict()

    def get_parent_tile(self, path):
        t = self.tile_from_path(path)
        return None if t.z == 0 else Tile(t.z - 1, t.x // 2, t.y // 2)

    def path_from_tile(self, tile, base_dir):
        return str(self.base(base_dir) / str(tile.z) / str(tile.x) / (str(tile.y) + EXT[base_dir]))


def write(path, lines):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("".join(line + "\\n" for line in lines))


class RasterTiler:
    def __init__(self, tiles):
        self.tiles = tiles

    def parent_geotiff_from_children(self, tile):
        children = [
            self.tiles.path_from_tile(Tile(tile.z + 1, 2 * tile.x + dx, 2 * tile.y + dy), "geotiff")
            for dx in (0, 1)
            for dy in (0, 1)
        ]
        write(self.tiles.path_from_tile(tile, "geotiff"), [c for c in children if Path(c).exists()])

    def webtile_from_geotiff(self, path):
        write(self.tiles.path_from_tile(self.tiles.tile_from_path(path), "web_tiles"), [path])


class WorkflowManager:
    def __init__(self, config):
        self.config = ConfigManager(config)
        self.tiles = TilePathManager(self.config)

    def stage(self, path):
        z = self.config.get_max_z()
        for line in Path(path).read_text().split("\\n"):
            if line.strip():
                x, y = line.split()
                target = Path(self.tiles.path_from_tile(Tile(z, int(x), int(y)), "staged"))
                target.parent.mkdir(parents=True, exist_ok=True)
                # Parallel stage pods add to the same tile, as pdgstaging does under a file lock.
                with open(target, "a") as tile:
                    fcntl.flock(tile, fcntl.LOCK_EX)
                    tile.write(str(path) + "\\n")

    def rasterize_vector(self, path):
        write(self.tiles.path_from_tile(self.tiles.tile_from_path(path), "geotiff"), [path])

    def init_raster_tiler(self):
        return RasterTiler(self.tiles)

    def staged_to_3dtile(self, path):
        write(self.tiles.path_from_tile(self.tiles.tile_from_path(path), "3dtiles"), [path])
`;

/** The serial form's libraries: geopandas reading "features" (lines) and writing batches, pdgstaging staging them. */
const GEOPANDAS = `from pathlib import Path


class GeoDataFrame:
    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, part):
        return GeoDataFrame(self.rows[part])

    def to_file(self, path, driver=None):
        Path(path).write_text("".join(row + "\\n" for row in self.rows))


def read_file(path):
    return GeoDataFrame([line for line in Path(path).read_text().split("\\n") if line.strip()])
`;

const PDGSTAGING = `from pathlib import Path


class TileStager:
    def __init__(self, config, check_footprints=True):
        self.config = config

    def stage(self, path):
        z = self.config.get("z_range", [0, 12])[1]
        for line in Path(path).read_text().split("\\n"):
            if line.strip():
                x, y = line.split()
                target = Path(self.config.get("dir_staged", "staged")) / str(z) / x / (y + ".gpkg")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(str(path) + "\\n")
`;

/** Where the stand-ins' claim is mounted in the viz pods. */
const MOUNT = '/mnt/ogdc-stand-ins';

/** Writes the stand-ins into the local engine's claim folder `volumesDir/<claim>`. */
export async function writeVizStandIns(volumesDir: string, claim: string): Promise<void> {
  const root = path.join(volumesDir, claim);
  await mkdir(path.join(root, 'bin'), { recursive: true });
  await mkdir(path.join(root, 'lib', 'pdgworkflow'), { recursive: true });
  await writeFile(path.join(root, 'lib', 'pdgworkflow', '__init__.py'), PDGWORKFLOW);
  await writeFile(path.join(root, 'lib', 'geopandas.py'), GEOPANDAS);
  await writeFile(path.join(root, 'lib', 'pdgstaging.py'), PDGSTAGING);
  // Found through PATH, $0 is where the claim is on this host or in the sandbox alike.
  await writeFile(path.join(root, 'bin', 'python'), '#!/bin/sh\nPYTHONPATH="$(dirname "$0")/../lib" exec /usr/bin/python3 "$@"\n');
  await chmod(path.join(root, 'bin', 'python'), 0o755);
}

/** The manifest with the stand-ins' claim mounted read-only in every script template and first on its PATH. */
export function withVizStandIns(workflow: Workflow, claim: string): Workflow {
  const copy = structuredClone(workflow);
  const spec = copy.spec as WorkflowSpec;
  (spec.volumes ??= []).push({ name: 'ogdc-stand-ins', persistentVolumeClaim: { claimName: claim, readOnly: true } });
  for (const t of spec.templates as Template[]) {
    if (!t.script) continue;
    t.script.volumeMounts = [...(t.script.volumeMounts ?? []), { name: 'ogdc-stand-ins', mountPath: MOUNT, readOnly: true }];
    t.script.env = [{ name: 'PATH', value: `${MOUNT}/bin:/usr/local/bin:/usr/bin:/bin` }];
  }
  return copy;
}
