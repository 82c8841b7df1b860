import type { Command } from 'commander';
import { userCacheDir } from '../../config/cache-dir.ts';
import { createInterface } from 'node:readline';
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
  /** Folders of YAML files whose WorkflowTemplates / ClusterWorkflowTemplates are registered first. */
  templateDirs?: string[];
  /** Where a snapshot of a fresh migrated database is kept to start faster (none: initdb every time). */
  cacheDir?: string;
  /** Processes at once (OGDC_LOCAL_MAX_PROCESSES); default: the number of cores. */
  maxProcesses?: number;
  /**
   * Lines typed while a suspend node waits: `NAME=VALUE` sets a supplied output, an empty line resumes (the
   * command reads stdin, only once a node is suspended).
   */
  input?: () => { lines: AsyncIterable<string>; close(): void };
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

/**
 * Reports each Suspend node as it starts waiting and, from then on, reads `options.input`: `NAME=VALUE` lines
 * collect output values, an empty line resumes the suspended workflows with them.
 */
function suspendPrompter(
  engine: { resume(name: string, o: { parameters: Record<string, string> }): Promise<void> },
  names: string[],
  options: RunWorkflowOptions,
): { onUpdate: (wf: Workflow) => void; close: () => void } {
  const seen = new Set<string>();
  let input: { lines: AsyncIterable<string>; close(): void } | undefined;
  const read = async (lines: AsyncIterable<string>) => {
    let values: Record<string, string> = {};
    for await (const line of lines) {
      const text = line.trim();
      if (text !== '') {
        const eq = text.indexOf('=');
        if (eq <= 0) options.stderr(`expected NAME=VALUE or an empty line, got "${text}"\n`);
        else values[text.slice(0, eq)] = text.slice(eq + 1);
        continue;
      }
      for (const name of names) {
        try {
          await engine.resume(name, { parameters: values });
          options.stderr(`Workflow ${name} resumed\n`);
        } catch (err) {
          if ((err as Error).name !== 'WorkflowNotSuspendedError') options.stderr(`${(err as Error).message}\n`);
        }
      }
      values = {};
    }
  };
  return {
    onUpdate(wf) {
      for (const n of Object.values(wf.status?.nodes ?? {})) {
        if (n.type !== 'Suspend' || n.phase !== 'Running' || seen.has(n.id)) continue;
        seen.add(n.id);
        options.stderr(`${n.displayName}: suspended; type NAME=VALUE lines to set its outputs, then an empty line to resume\n`);
        if (!input && options.input) {
          input = options.input();
          read(input.lines).catch((err: unknown) => options.stderr(`reading input: ${(err as Error).message}\n`));
        }
      }
    },
    close: () => input?.close(),
  };
}

/** Runs an Argo Workflow file on the local engine and waits for it; returns the exit code (0 only on Succeeded). */
export async function runWorkflowFile(file: string, options: RunWorkflowOptions): Promise<number> {
  const path = await import('node:path');
  const os = await import('node:os');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { readWorkflowDocuments } = await import('../../engine/local/admission/manifest-file.ts');
  const { readdir } = await import('node:fs/promises');
  const { ManifestFileError } = await import('../../engine/local/errors.ts');
  const { ManifestRejectedError } = await import('../../engine/errors.ts');
  const { openPglite } = await import('../../db/pglite.ts');
  const { migrate } = await import('../../db/migrate.ts');
  const { openMigratedMemoryPglite } = await import('../../db/pglite-snapshot.ts');

  type Doc = Awaited<ReturnType<typeof readWorkflowDocuments>>[number];
  const TEMPLATE_KINDS = new Set(['WorkflowTemplate', 'ClusterWorkflowTemplate', 'ConfigMap']);
  let manifests: Workflow[];
  const templates: Doc[] = [];
  try {
    for (const dir of options.templateDirs ?? []) {
      let entries: string[];
      try {
        entries = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
      } catch (err) {
        throw new CliError(`run-workflow: --templates ${dir}: ${(err as Error).message}`, 2);
      }
      for (const f of entries)
        templates.push(...(await readWorkflowDocuments(path.join(dir, f))).filter((d) => TEMPLATE_KINDS.has(d.kind)));
    }
    const docs = await readWorkflowDocuments(file);
    templates.push(...docs.filter((d) => TEMPLATE_KINDS.has(d.kind)));
    manifests = docs.filter((d) => d.kind === 'Workflow') as Workflow[];
    // A CronWorkflow runs once, now: its workflowSpec as a Workflow, named as the cron controller names its runs.
    for (const cron of docs.filter((d) => d.kind === 'CronWorkflow')) {
      const name = cron.metadata?.name ?? 'cron';
      const spec = ((cron.spec as Record<string, unknown> | undefined)?.workflowSpec ?? {}) as Workflow['spec'];
      options.stderr(`CronWorkflow ${name}: run once now (run-workflow keeps no schedule)\n`);
      manifests.push({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Workflow',
        metadata: { generateName: `${name}-`, labels: { ...cron.metadata?.labels, 'workflows.argoproj.io/cron-workflow': name } },
        spec,
      } as Workflow);
    }
    if (manifests.length === 0)
      throw new CliError(`${file}: no Workflow in the file (found ${docs.map((d) => d.kind).join(', ') || 'nothing'})`, 2);
  } catch (err) {
    if (err instanceof ManifestFileError) throw new CliError(err.message, 2);
    throw err;
  }
  // The compiled schema check comes from the cache too (otherwise most of the first submit's time).
  if (options.cacheDir) (await import('../../argo/schema.ts')).useSchemaCache(options.cacheDir);
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'ogdc-run-workflow-')));
  // The engine's modules load while the embedded database starts (most of the time before the first pod).
  const engineModule = import('../../engine/local/index.ts');
  engineModule.catch(() => undefined);
  // Its own database folder: the service may hold the embedded database of the same data dir open.
  const db = temporary ? await openMigratedMemoryPglite(options.cacheDir) : await openPglite(path.join(dataDir, 'run-workflow-db'));
  const { createLocalEngine } = await engineModule;
  try {
    if (!temporary) await migrate(db);
    const engine = await createLocalEngine({
      db,
      dataDir,
      sandbox: options.sandbox ?? 'auto',
      maxProcesses: options.maxProcesses,
      // One user's own machine: an `http` template may call its loopback services.
      allowPrivateHttp: true,
      log: (m) => options.stderr(`${m}\n`),
    });
    try {
      const report = progressReporter(options.stderr);
      engine.onUpdate(report);
      const names: string[] = [];
      const resumer = suspendPrompter(engine, names, options);
      engine.onUpdate(resumer.onUpdate);
      try {
        for (const t of templates) engine.registerTemplate(t);
        for (const manifest of manifests) names.push((await engine.submit(manifest, { parameters: options.parameters })).metadata.name!);
      } catch (err) {
        if (err instanceof ManifestRejectedError) {
          await Promise.all(names.map((n) => engine.stop(n)));
          throw new CliError(`${file}: ${err.message}`, 2);
        }
        throw err;
      }
      for (const name of names) options.stderr(`Workflow ${name} submitted (data in ${temporary ? 'a temporary folder' : dataDir})\n`);
      options.onStart?.(async () => {
        await Promise.all(names.map((n) => engine.stop(n)));
      });
      let code = 0;
      const finals = await Promise.all(names.map((n) => engine.wait(n)));
      for (const final of finals) {
        const name = final.metadata.name!;
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
        if (phase !== 'Succeeded') code = 1;
      }
      resumer.close();
      // One Workflow: its JSON as before; several: a JSON list.
      if (options.json) options.stdout(`${JSON.stringify(finals.length === 1 ? finals[0] : finals, null, 2)}\n`);
      return code;
    } finally {
      await engine.close();
    }
  } finally {
    await db.close();
    if (temporary) await rm(dataDir, { recursive: true, force: true });
  }
}

/** OGDC_LOCAL_MAX_PROCESSES, read and checked as the service reads it. */
async function maxProcessesFromEnv(): Promise<number | undefined> {
  const raw = process.env.OGDC_LOCAL_MAX_PROCESSES;
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new CliError(`OGDC_LOCAL_MAX_PROCESSES must be a positive whole number, got "${raw}".`, 2);
  return Number(raw);
}

/** `ogdc-runner run-workflow FILE [-p NAME=VALUE]... [--json] [--data-dir DIR] [--sandbox MODE] [--templates DIR]`. */
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
    .option(
      '--templates <dir>',
      'register the WorkflowTemplates, ClusterWorkflowTemplates and parameter ConfigMaps of the YAML files in DIR first (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .action(async (file: string, opts: { parameter: string[]; json: boolean; dataDir?: string; sandbox: string; templates: string[] }) => {
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
          templateDirs: opts.templates,
          maxProcesses: await maxProcessesFromEnv(),
          cacheDir: userCacheDir(),
          stdout: (text) => process.stdout.write(text),
          stderr: (text) => process.stderr.write(text),
          onStart: (s) => (stop = s),
          input: () => {
            const rl = createInterface({ input: process.stdin });
            return { lines: rl, close: () => (rl.close(), process.stdin.pause()) };
          },
        });
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
