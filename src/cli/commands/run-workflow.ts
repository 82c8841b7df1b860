import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import type { NodeStatus, Workflow } from '../../engine/types.ts';

export interface RunWorkflowOptions {
  /** `-p NAME=VALUE` overrides of spec.arguments.parameters. */
  parameters: Record<string, string>;
  /** Print the final Workflow as JSON on stdout and nothing else there. */
  json: boolean;
  /** Keep the database, volumes, artifacts and logs here; a temporary folder (deleted afterwards) when absent. */
  dataDir?: string;
  sandbox?: 'auto' | 'bwrap' | 'none';
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Called with a function that stops the run (the command wires it to SIGINT). */
  onStart?: (stop: () => Promise<void>) => void;
}

/** Parses repeated `-p NAME=VALUE` values; throws CliError (exit 2) naming a malformed one. */
export function parseParameterArgs(values: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new CliError(`run-workflow: -p expects NAME=VALUE, got "${v}"`, 2);
    params[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return params;
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

const FINAL = new Set(['Succeeded', 'Failed', 'Error', 'Skipped', 'Omitted']);

/** Progress lines: a line per pod or skipped node as it finishes, with phase, n/m and elapsed time. */
function progressReporter(stderr: (text: string) => void): (wf: Workflow) => void {
  const started = Date.now();
  const reported = new Set<string>();
  return (wf) => {
    const status = wf.status;
    const finished = Object.values(status?.nodes ?? {})
      .filter((n: NodeStatus) => (n.type === 'Pod' || n.type === 'Skipped') && FINAL.has(n.phase) && !reported.has(n.id))
      .sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? ''));
    for (const n of finished) {
      reported.add(n.id);
      const detail = n.message ? ` (${n.message})` : '';
      stderr(
        `[${clock(Date.now() - started)}] ${status?.phase ?? 'Pending'} ${status?.progress ?? '0/0'}  ${n.displayName}: ${n.phase}${detail}\n`,
      );
    }
  };
}

/** Runs an Argo Workflow file on the local engine and waits for it; returns the exit code (0 only on Succeeded). */
export async function runWorkflowFile(file: string, options: RunWorkflowOptions): Promise<number> {
  const path = await import('node:path');
  const os = await import('node:os');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { readWorkflowFile } = await import('../../engine/local/manifest-file.ts');
  const { ManifestFileError } = await import('../../engine/local/errors.ts');
  const { ManifestRejectedError } = await import('../../engine/errors.ts');
  const { createLocalEngine } = await import('../../engine/local/index.ts');
  const { openPglite } = await import('../../db/pglite.ts');
  const { migrate } = await import('../../db/migrate.ts');

  let manifest: Workflow;
  try {
    manifest = await readWorkflowFile(file);
  } catch (err) {
    if (err instanceof ManifestFileError) throw new CliError(err.message, 2);
    throw err;
  }
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'ogdc-run-workflow-')));
  // Its own database folder: the service may hold the embedded database of the same data dir open.
  const db = await openPglite(temporary ? undefined : path.join(dataDir, 'run-workflow-db'));
  try {
    await migrate(db);
    const engine = await createLocalEngine({ db, dataDir, sandbox: options.sandbox ?? 'auto', log: (m) => options.stderr(`${m}\n`) });
    try {
      const report = progressReporter(options.stderr);
      engine.onUpdate(report);
      let submitted: Workflow;
      try {
        submitted = await engine.submit(manifest, { parameters: options.parameters });
      } catch (err) {
        if (err instanceof ManifestRejectedError) throw new CliError(`${file}: ${err.message}`, 2);
        throw err;
      }
      const name = submitted.metadata.name!;
      options.stderr(`Workflow ${name} submitted (data in ${temporary ? 'a temporary folder' : dataDir})\n`);
      options.onStart?.(() => engine.stop(name));
      const final = await engine.wait(name);
      report(final);
      const out = options.json ? options.stderr : options.stdout;
      for await (const line of engine.logs(name)) out(`${line.podName}: ${line.content}\n`);
      const phase = final.status?.phase ?? 'Error';
      const took =
        final.status?.startedAt && final.status.finishedAt
          ? clock(Date.parse(final.status.finishedAt) - Date.parse(final.status.startedAt))
          : '?';
      options.stderr(
        `Workflow ${name} ${phase} (${final.status?.progress ?? '0/0'}, ${took})${final.status?.message ? `: ${final.status.message}` : ''}\n`,
      );
      if (options.json) options.stdout(`${JSON.stringify(final, null, 2)}\n`);
      return phase === 'Succeeded' ? 0 : 1;
    } finally {
      await engine.close();
    }
  } finally {
    await db.close();
    if (temporary) await rm(dataDir, { recursive: true, force: true });
  }
}

/** `ogdc-runner run-workflow FILE [-p NAME=VALUE]... [--json] [--data-dir DIR] [--sandbox MODE]`. */
export function register(program: Command): void {
  program
    .command('run-workflow')
    .description('Run an Argo Workflow YAML/JSON file on this machine with the local engine and wait for it')
    .argument('<file>', 'Argo Workflow manifest (YAML or JSON)')
    .option(
      '-p, --parameter <NAME=VALUE>',
      'override a spec.arguments parameter (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--json', 'print the final Workflow (Argo JSON) on stdout; logs and progress go to stderr', false)
    .option(
      '--data-dir <dir>',
      'keep database, volumes, artifacts and logs here (default: a temporary folder of its own, never OGDC_DATA_DIR)',
    )
    .option('--sandbox <mode>', 'auto, bwrap or none', 'auto')
    .action(async (file: string, opts: { parameter: string[]; json: boolean; dataDir?: string; sandbox: string }) => {
      if (!['auto', 'bwrap', 'none'].includes(opts.sandbox))
        throw new CliError(`run-workflow: --sandbox must be auto, bwrap or none, got "${opts.sandbox}"`, 2);
      let stop: (() => Promise<void>) | undefined;
      const onSigint = () => {
        process.stderr.write('Stopping the workflow…\n');
        void stop?.();
      };
      process.once('SIGINT', onSigint);
      try {
        process.exitCode = await runWorkflowFile(file, {
          parameters: parseParameterArgs(opts.parameter),
          json: opts.json,
          dataDir: opts.dataDir, // never the service's OGDC_DATA_DIR: its database and secrets stay out of reach
          sandbox: opts.sandbox as 'auto' | 'bwrap' | 'none',
          stdout: (text) => process.stdout.write(text),
          stderr: (text) => process.stderr.write(text),
          onStart: (s) => (stop = s),
        });
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
