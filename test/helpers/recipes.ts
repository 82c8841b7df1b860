import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Serves fixed files on 127.0.0.1, as a stand-in for the data hosts recipes name. */
export async function serveFiles(files: Record<string, string | Buffer>): Promise<{ url: string; close(): Promise<void>; hits: string[] }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    hits.push(name);
    const body = files[name];
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface RecipeSpec {
  name: string;
  inputs: string[];
  steps: string[];
  output?: 'pvc' | 'temporary';
  parallel?: { partitionSize: number };
}

/** Writes a recipe directory (meta.yml and recipe.sh) and returns its path. */
export async function writeRecipe(spec: RecipeSpec, parent?: string): Promise<string> {
  const dir = path.join(parent ?? (await mkdtemp(path.join(os.tmpdir(), 'ogdc-recipe-src-'))), spec.name.toLowerCase().replace(/ /g, '-'));
  await mkdir(dir, { recursive: true });
  const parallel = spec.parallel
    ? `  parallel:\n    enabled: true\n    partition_strategy: files\n    partition_size: ${spec.parallel.partitionSize}\n`
    : '';
  const meta =
    `name: "${spec.name}"\nworkflow:\n  type: shell\n${parallel}input:\n  params:\n` +
    spec.inputs.map((url) => `    - type: url\n      value: "${url}"\n`).join('') +
    `output:\n  type: ${spec.output ?? 'temporary'}\n`;
  await writeFile(path.join(dir, 'meta.yml'), meta);
  await writeFile(path.join(dir, 'recipe.sh'), `# generated for a test\n${spec.steps.join('\n')}\n`);
  return dir;
}
