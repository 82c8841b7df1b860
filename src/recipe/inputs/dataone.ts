import { DataoneUnavailableError } from '../errors.ts';
import { safeFilename } from './filename.ts';
import { fetchFailureReason, timeoutSignal } from './http.ts';

/** A data object of a DataONE package, with the URL it downloads from. */
export interface DataoneObject {
  identifier: string;
  url: string;
  filename: string;
  size?: number;
  formatType?: string;
}

export interface DataoneQueryOptions {
  /** Member node base URL, e.g. https://arcticdata.io/metacat/d1/mn */
  nodeUrl: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Solr rows per page; default 50 as in the reference. */
  pageSize?: number;
  /** Refuse packages larger than this (a node answering nonsense must not page forever); default 100 000. */
  maxObjects?: number;
}

interface SolrPage {
  numFound: number;
  docs: Array<Record<string, unknown>>;
}

/** The download URL of a DataONE object on a member node. */
function dataoneObjectUrl(nodeUrl: string, identifier: string): string {
  return `${nodeUrl.replace(/\/+$/, '')}/v2/object/${encodeURIComponent(identifier)}`;
}

/** Lists every non-metadata object of a package through the node's Solr API, page by page. */
export async function listDatasetObjects(datasetId: string, options: DataoneQueryOptions): Promise<DataoneObject[]> {
  const node = options.nodeUrl.replace(/\/+$/, '');
  const pageSize = options.pageSize ?? 50;
  const maxObjects = options.maxObjects ?? 100_000;
  const docs: Array<Record<string, unknown>> = [];
  for (let start = 0; ;) {
    const page = await querySolr(node, datasetId, start, pageSize, options);
    if (page.numFound > maxObjects) {
      throw new DataoneUnavailableError(
        node,
        `DataONE node ${node} reports ${page.numFound} objects in dataset "${datasetId}", more than the limit of ${maxObjects}`,
      );
    }
    docs.push(...page.docs);
    start += page.docs.length;
    if (page.docs.length === 0 || docs.length >= page.numFound) break;
  }
  return docs.map((doc, index) => toObject(node, doc, index));
}

async function querySolr(node: string, datasetId: string, start: number, rows: number, options: DataoneQueryOptions): Promise<SolrPage> {
  const params = new URLSearchParams({
    q: `resourceMap:"${datasetId.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}" AND -formatType:METADATA`,
    fl: 'identifier,fileName,size,formatType',
    rows: String(rows),
    start: String(start),
    wt: 'json',
  });
  const url = `${node}/v2/query/solr/?${params}`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let response: Response;
  let body: unknown;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: timeoutSignal(timeoutMs, options.signal) });
    if (!response.ok) {
      throw new DataoneUnavailableError(
        node,
        `DataONE node ${node} answered HTTP ${response.status} to the query for dataset "${datasetId}"`,
      );
    }
    body = await response.json();
  } catch (error) {
    if (error instanceof DataoneUnavailableError) throw error;
    const reason = error instanceof SyntaxError ? 'its answer is not JSON' : fetchFailureReason(error, timeoutMs);
    throw new DataoneUnavailableError(node, `DataONE node ${node} could not be queried for dataset "${datasetId}": ${reason}`, {
      cause: error,
    });
  }
  const answer = (body as { response?: { numFound?: unknown; docs?: unknown } })?.response;
  if (!answer || typeof answer.numFound !== 'number' || !Array.isArray(answer.docs)) {
    throw new DataoneUnavailableError(
      node,
      `DataONE node ${node} gave an answer without response.numFound/docs for dataset "${datasetId}"`,
    );
  }
  return { numFound: answer.numFound, docs: answer.docs as Array<Record<string, unknown>> };
}

function toObject(node: string, doc: Record<string, unknown>, index: number): DataoneObject {
  const identifier = String(doc.identifier ?? doc.id ?? '');
  if (!identifier) {
    throw new DataoneUnavailableError(node, `DataONE node ${node} returned an object without an identifier`);
  }
  // Objects without fileName are named after their identifier, which is what DataONE clients download them as.
  const filename = safeFilename(typeof doc.fileName === 'string' ? doc.fileName : identifier, `object-${index + 1}`);
  const object: DataoneObject = { identifier, url: dataoneObjectUrl(node, identifier), filename };
  const size = Number(doc.size);
  if (doc.size !== undefined && Number.isFinite(size)) object.size = size;
  if (typeof doc.formatType === 'string') object.formatType = doc.formatType;
  return object;
}
