import type { Recipe } from '../recipe/types.ts';
import { InvalidRecipeForTranslationError } from './errors.ts';

/** The stages of the parallel visualization pipeline config.json switches on and off, and its zoom range. */
interface VizPlan {
  stager: boolean;
  raster: boolean;
  rasterParents: boolean;
  webTiles: boolean;
  threeDTiles: boolean;
  minZ: number;
  maxZ: number;
  /** Folders below the recipe's output folder the pipeline writes to (relative, no `..`), created up front. */
  dirs: string[];
}

/** The zoom range the Python runner assumes when config.json gives none. */
const DEFAULT_Z_RANGE = [0, 12] as const;
/** Deepest zoom level accepted: web map tile pyramids stop well before it. */
const MAX_Z = 32;
/** Where the 3D tiles go when config.json does not say, as the Python runner assumes. */
const DEFAULT_3DTILES_DIR = 'output/3dtiles';

/** A config.json key of the recipe, as error messages name it (`<config file>: <key>`). */
export function configField(recipe: Recipe, key: string): string {
  const file = recipe.config.workflow.type === 'visualization' ? recipe.config.workflow.config_file : null;
  return `${file ?? 'config.json'}: ${key}`;
}

function flag(recipe: Recipe, config: Record<string, unknown>, key: string): boolean {
  const value = config[key];
  if (value === undefined) return true;
  if (typeof value !== 'boolean') {
    throw new InvalidRecipeForTranslationError(
      recipe.config.id,
      configField(recipe, key),
      `expected true or false, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function zRange(recipe: Recipe, config: Record<string, unknown>): [number, number] {
  const value = config.z_range;
  if (value === undefined) return [...DEFAULT_Z_RANGE];
  const ok =
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((z) => Number.isInteger(z) && z >= 0 && z <= MAX_Z) &&
    (value[0] as number) <= (value[1] as number);
  if (!ok) {
    throw new InvalidRecipeForTranslationError(
      recipe.config.id,
      configField(recipe, 'z_range'),
      `expected [min, max] with whole numbers 0 ≤ min ≤ max ≤ ${MAX_Z}, got ${JSON.stringify(value)}`,
    );
  }
  return [value[0] as number, value[1] as number];
}

/**
 * A configured folder the pipeline may create up front: relative and without `..`. Absolute folders (for
 * instance staged tiles on an input claim under /mnt/data) are used as they are and never created.
 */
function workflowDir(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.replace(/\/+$/, '');
  if (trimmed === '' || trimmed.startsWith('/') || trimmed.includes('\0')) return undefined;
  const parts = trimmed.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) return undefined;
  return parts.join('/');
}

/** Reads what the parallel pipeline needs from the recipe's config.json (absent keys take the Python runner's defaults). */
export function vizPlan(recipe: Recipe): VizPlan {
  const config = recipe.vizConfig ?? {};
  const plan = {
    stager: flag(recipe, config, 'enable_stager'),
    raster: flag(recipe, config, 'enable_raster'),
    rasterParents: flag(recipe, config, 'enable_raster_parents'),
    webTiles: flag(recipe, config, 'enable_web_tiles'),
    threeDTiles: flag(recipe, config, 'enable_3dtiles'),
  };
  const [minZ, maxZ] = zRange(recipe, config);
  const wanted: unknown[] = [];
  if (plan.stager) wanted.push(config.dir_input, config.dir_staged);
  if (plan.raster) wanted.push(config.dir_geotiff);
  if (plan.webTiles) wanted.push(config.dir_web_tiles);
  if (plan.threeDTiles) wanted.push(config.dir_3dtiles ?? DEFAULT_3DTILES_DIR);
  const dirs = [...new Set(wanted.map(workflowDir).filter((d): d is string => d !== undefined))].sort();
  return { ...plan, minZ, maxZ, dirs };
}
