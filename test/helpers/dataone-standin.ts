import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One object of a stand-in dataset. `identifier` defaults to `urn:uuid:<dataset>/<fileName>`. */
export interface StandinFile {
  fileName: string;
  identifier?: string;
  formatType?: 'DATA' | 'METADATA' | 'RESOURCE';
}

export interface DataoneStandin {
  /** Member node base URL to use as DATAONE_NODE_URL, e.g. http://127.0.0.1:PORT/metacat/d1/mn */
  url: string;
  /** Every request path+query received, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** The bytes the stand-in serves for an object: deterministic, derived from its identifier. */
function standinObjectContent(identifier: string): Buffer {
  return Buffer.from(`stand-in DataONE object ${identifier}\n`);
}

/** The identifier the stand-in gives a file that has none. */
function standinIdentifier(dataset: string, file: StandinFile): string {
  return file.identifier ?? `urn:uuid:${dataset}/${file.fileName}`;
}

/**
 * Starts a DataONE member node stand-in on 127.0.0.1: Solr queries
 * (`/v2/query/solr/?q=resourceMap:"ID" AND -formatType:METADATA&rows&start`)
 * answered from `datasets`, at most `maxRows` documents per page so that
 * clients must page, and objects served at `/v2/object/{pid}`.
 */
export async function startDataoneStandin(
  datasets: Record<string, StandinFile[]>,
  options: { maxRows?: number } = {},
): Promise<DataoneStandin> {
  const base = '/metacat/d1/mn';
  const maxRows = options.maxRows ?? 2;
  const objects = new Map<string, Buffer>();
  for (const [dataset, files] of Object.entries(datasets)) {
    for (const file of files) objects.set(standinIdentifier(dataset, file), standinObjectContent(standinIdentifier(dataset, file)));
  }
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://standin');
    if (url.pathname === `${base}/v2/query/solr/` || url.pathname === `${base}/v2/query/solr`) {
      const q = url.searchParams.get('q') ?? '';
      const match = /^resourceMap:"((?:[^"\\]|\\.)*)"( AND -formatType:METADATA)?$/.exec(q);
      if (!match || url.searchParams.get('wt') !== 'json') {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`unsupported query ${q}`);
        return;
      }
      const dataset = match[1]!.replace(/\\(.)/g, '$1');
      const files = (datasets[dataset] ?? []).filter((f) => !match[2] || (f.formatType ?? 'DATA') !== 'METADATA');
      const start = Number(url.searchParams.get('start') ?? 0);
      const rows = Math.min(Number(url.searchParams.get('rows') ?? 10), maxRows);
      const docs = files.slice(start, start + rows).map((f) => {
        const identifier = standinIdentifier(dataset, f);
        return { identifier, fileName: f.fileName, size: objects.get(identifier)!.length, formatType: f.formatType ?? 'DATA' };
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ responseHeader: { status: 0 }, response: { numFound: files.length, start, docs } }));
      return;
    }
    const prefix = `${base}/v2/object/`;
    if (url.pathname.startsWith(prefix)) {
      const body = objects.get(decodeURIComponent(url.pathname.slice(prefix.length)));
      if (!body) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${base}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
