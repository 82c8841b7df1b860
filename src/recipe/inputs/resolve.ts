import { DataoneUnavailableError } from '../errors.ts';
import type { Checker } from '../meta/check.ts';
import type { InputFile, InputParam } from '../types.ts';
import { type DataoneObject, type DataoneQueryOptions, listDatasetObjects } from './dataone.ts';
import { urlFilename } from './filename.ts';
import { matchesFilename } from './glob.ts';

const MAX_LISTED_NAMES = 50;

interface ResolveOptions extends DataoneQueryOptions {
  /** When false, DataONE inputs are not looked up (and contribute no files). */
  resolveDataone: boolean;
}

/**
 * Turns input params into the files the fetch step downloads, reporting unmatched
 * filters and clashing file names into `check`. Throws DataoneUnavailableError
 * when the node cannot be queried, after trying every dataset.
 */
export async function resolveInputs(check: Checker, params: Array<InputParam | undefined>, options: ResolveOptions): Promise<InputFile[]> {
  const datasets = new Map<string, Promise<DataoneObject[]>>();
  if (options.resolveDataone) {
    // One query per dataset even when several params name it (agb-plant lists one dataset three times).
    for (const param of params) {
      if (param?.type === 'dataone' && !datasets.has(param.dataset_identifier)) {
        const listing = listDatasetObjects(param.dataset_identifier, options);
        listing.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
        datasets.set(param.dataset_identifier, listing);
      }
    }
  }

  const files: InputFile[][] = [];
  let unavailable: DataoneUnavailableError | undefined;
  for (const [index, param] of params.entries()) {
    const path = `input.params[${index}]`;
    // pvc_mount inputs are read in place: nothing to download.
    if (param === undefined || param.type === 'pvc_mount') continue;
    if (param.type === 'url') {
      const filename = urlFilename(param.value);
      if (filename === undefined)
        check.report(`${path}.value`, `cannot name the downloaded file: the URL path of ${JSON.stringify(param.value)} has no file name`);
      else files.push([{ url: param.value, filename }]);
      continue;
    }
    const listing = datasets.get(param.dataset_identifier);
    if (!listing) continue;
    let objects: DataoneObject[];
    try {
      objects = await listing;
    } catch (error) {
      if (!(error instanceof DataoneUnavailableError)) throw error;
      unavailable ??= error;
      continue;
    }
    files.push(selectObjects(check, path, param.dataset_identifier, param.filename, objects, options.nodeUrl));
  }
  if (unavailable) throw unavailable;
  const all = files.flat();
  reportClashes(check, all);
  return all;
}

function selectObjects(
  check: Checker,
  path: string,
  datasetId: string,
  pattern: string | undefined,
  objects: DataoneObject[],
  nodeUrl: string,
): InputFile[] {
  if (objects.length === 0) {
    check.report(
      `${path}.dataset_identifier`,
      `dataset ${JSON.stringify(datasetId)} has no data objects on ${nodeUrl}; expected a data package identifier such as "resource_map_urn:uuid:..."`,
    );
    return [];
  }
  const matched = pattern === undefined ? objects : objects.filter((o) => matchesFilename(o.filename, pattern));
  if (matched.length === 0) {
    const names = objects.map((o) => JSON.stringify(o.filename));
    const shown =
      names.slice(0, MAX_LISTED_NAMES).join(', ') +
      (names.length > MAX_LISTED_NAMES ? `, and ${names.length - MAX_LISTED_NAMES} more` : '');
    check.report(
      `${path}.filename`,
      `no file in dataset ${JSON.stringify(datasetId)} matches ${JSON.stringify(pattern)}; available files: ${shown}`,
    );
    return [];
  }
  return matched.map((o) => {
    const file: InputFile = { url: o.url, filename: o.filename, identifier: o.identifier };
    if (o.size !== undefined) file.size = o.size;
    return file;
  });
}

/** Two inputs saved under one name would overwrite each other in the fetch directory. */
function reportClashes(check: Checker, files: InputFile[]): void {
  const seen = new Map<string, InputFile>();
  for (const file of files) {
    const key = file.filename;
    const earlier = seen.get(key);
    if (earlier && earlier.url !== file.url) {
      check.report('input.params', `two inputs download to the same file name ${JSON.stringify(key)} (${earlier.url} and ${file.url})`);
    }
    if (!earlier) seen.set(key, file);
  }
}
