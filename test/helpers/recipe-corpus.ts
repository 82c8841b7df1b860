import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StandinFile } from './dataone-standin.ts';

/** The shared recipe corpus (`shared/recipes` beside the repository, or OGDC_RECIPE_CORPUS). */
export function recipeCorpusDir(): string {
  if (process.env.OGDC_RECIPE_CORPUS) return process.env.OGDC_RECIPE_CORPUS;
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const candidates = [path.join(repoRoot, '..', 'shared', 'recipes'), path.join(repoRoot, 'shared', 'recipes')];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

const range = (n: number, name: (i: number) => string): StandinFile[] => Array.from({ length: n }, (_, i) => ({ fileName: name(i) }));

/** Plausible file lists for the DataONE datasets the corpus recipes name (each with a metadata document too). */
export const corpusDatasets: Record<string, StandinFile[]> = {
  'resource_map_urn:uuid:cfe3fbb2-0585-40b5-8243-8fa47fcfeb9b': [
    ...range(6, (i) => `ct${70 + i}_ODV.csv`),
    { fileName: 'seal_tags_eml.xml', formatType: 'METADATA' },
  ],
  'resource_map_doi:10.18739/A29G5GD39': [
    ...range(5, (i) => `percent_gris_${2015 + i}.nc`),
    { fileName: 'README.txt' },
    { fileName: 'gris_eml.xml', formatType: 'METADATA' },
  ],
  'resource_map_doi:10.18739/A2NS0M06B': [
    ...['A1', 'A2', 'A3', 'B1', 'B2', 'B3', 'C1'].map((tile) => ({ fileName: `plant_agb_2020_p500_${tile}.tif` })),
    { fileName: 'agb_eml.xml', formatType: 'METADATA' },
  ],
};
