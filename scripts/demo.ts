// `npm run demo`: the whole OGDC loop on one machine, offline. Starts the
// service on the embedded defaults (PGlite, local engine) in a temporary data
// folder, serves the example recipe's input data on loopback, creates a user,
// submits the recipe, waits with progress, downloads the output and lists it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../src/cli/api-client.ts';
import { createUser } from '../src/cli/commands/create-user.ts';
import { submit } from '../src/cli/commands/submit.ts';
import { getOutput } from '../src/cli/commands/get-output.ts';
import { waitForRun } from '../src/cli/wait.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line: string) => process.stdout.write(`\n==> ${line}\n`);

async function serveData(dir: string): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    const file = path.join(dir, path.basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    try {
      const info = await stat(file);
      res.writeHead(200, { 'content-length': info.size, 'content-type': 'text/csv' });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Starts `ogdc-runner serve` on a port the system picks; resolves with the process and the URL it printed. */
async function startService(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(root, 'bin/ogdc-runner.js'), 'serve', '--port', '0'], {
    // The demo's data server is on loopback, which the fetch step only reaches when told so.
    env: { ...process.env, OGDC_DATA_DIR: dataDir, OGDC_LOG_LEVEL: 'warn', OGDC_ALLOW_PRIVATE_SOURCES: 'true' },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      seen += chunk.toString();
      const listening = /listening on (http:\/\/[^/\s]+)\//.exec(seen);
      if (listening) resolve(listening[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the service exited with code ${code} before listening`)));
  });
  return { child, url };
}

async function main(): Promise<number> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'ogdc-demo-'));
  const dataDir = path.join(work, 'data');
  let service: ChildProcess | undefined;
  let dataServer: http.Server | undefined;
  try {
    say('Serving the example input data on loopback');
    dataServer = await serveData(path.join(root, 'examples/demo-data'));
    const dataUrl = `http://127.0.0.1:${(dataServer.address() as AddressInfo).port}`;
    console.log(`    ${dataUrl}/stations.csv`);

    const recipeDir = path.join(work, 'arctic-weather-stations');
    await cp(path.join(root, 'examples/demo-recipe'), recipeDir, { recursive: true });
    const meta = path.join(recipeDir, 'meta.yml');
    await writeFile(meta, (await readFile(meta, 'utf8')).replace('{{DATA_URL}}', dataUrl));

    say(`Starting the service on the embedded defaults (data in ${dataDir})`);
    const started = await startService(dataDir);
    service = started.child;
    const apiUrl = started.url;
    const adminPassword = (await readFile(path.join(dataDir, 'admin-password'), 'utf8')).trim();

    say('Creating the user "demo" as admin');
    const admin = new ApiClient({ baseUrl: apiUrl, username: 'admin', password: adminPassword });
    console.log(`    ${await createUser(admin, 'demo', 'demo-password')}`);

    say(`Submitting the recipe in ${recipeDir} as "demo" (uploaded as tar.gz)`);
    const client = new ApiClient({ baseUrl: apiUrl, username: 'demo', password: 'demo-password' });
    const { name, message } = await submit(client, recipeDir, {});
    console.log(`    ${message}`);

    say('Waiting for the run to finish');
    const code = await waitForRun(client, name, { intervalMs: 500 });
    if (code !== 0) return code;

    say('Downloading the output');
    const zip = await getOutput(client, name, path.join(work, 'output'));
    console.log(`    ${zip}`);
    const listing = spawnSync('unzip', ['-l', zip], { encoding: 'utf8' });
    console.log(listing.status === 0 ? listing.stdout : '    (install unzip to list the zip)');

    say('Done. The same with your own recipe: see "The demo" in README.md');
    return 0;
  } finally {
    service?.kill('SIGTERM');
    if (service && service.exitCode === null) await new Promise((resolve) => service!.once('exit', resolve));
    dataServer?.close();
    await rm(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
