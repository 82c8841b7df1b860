import type { Command } from 'commander';
import { userCacheDir } from '../../config/cache-dir.ts';
import { createInterface } from 'node:readline';
import { CliError } from '../errors.ts';
import type { NodeStatus, Workflow } from '../../engine/types.ts';
import type { ManifestDoc } from '../../engine/local/admission/manifest-file.ts';
import type { LocalEngine } from '../../engine/local/index.ts';

interface RunWorkflowOptions {
  /** `-p NAME=VALUE` overrides of spec.arguments.parameters. */
  parameters: Record<string, string>;
  /** Print the final Workflow as JSON on stdout and nothing else there. */
  json: boolean;
  /** Keep volumes, artifacts, logs and memoize caches here; a temporary folder (deleted afterwards) when absent. */
  dataDir?: string;
  sandbox?: 'auto' | 'bwrap' | 'none';
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Folders of YAML files whose WorkflowTemplates / ClusterWorkflowTemplates are registered first. */
  templateDirs?: string[];
  /** Where the compiled check against Argo's schema is kept to start faster (none: compile every time). */
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
function parseParameterArgs(values: string[]): Record<string, string> {
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

type Doc = ManifestDoc;
const TEMPLATE_KINDS = new Set(['WorkflowTemplate', 'ClusterWorkflowTemplate', 'ConfigMap']);

/** The YAML/JSON files of `--templates DIR`, in name order. */
async function templateFiles(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const path = await import('node:path');
  try {
    return (await readdir(dir))
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .sort()
      .map((f) => path.join(dir, f));
  } catch (err) {
    throw new CliError(`run-workflow: --templates ${dir}: ${(err as Error).message}`, 2);
  }
}

/** A CronWorkflow runs once, now: its workflowSpec as a Workflow, named as the cron controller names its runs. */
function cronRun(cron: Doc, options: RunWorkflowOptions): Workflow {
  const name = cron.metadata?.name ?? 'cron';
  const spec = ((cron.spec as Record<string, unknown> | undefined)?.workflowSpec ?? {}) as Workflow['spec'];
  options.stderr(`CronWorkflow ${name}: run once now (run-workflow keeps no schedule)\n`);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: `${name}-`, labels: { ...cron.metadata?.labels, 'workflows.argoproj.io/cron-workflow': name } },
    spec,
  };
}

/** The Workflows to run (CronWorkflows as one run each) and the templates to register first; CliError exit 2. */
async function readManifests(file: string, options: RunWorkflowOptions): Promise<{ manifests: Workflow[]; templates: Doc[] }> {
  const { readWorkflowDocuments } = await import('../../engine/local/admission/manifest-file.ts');
  const { ManifestFileError } = await import('../../engine/local/errors.ts');
  const templates: Doc[] = [];
  try {
    for (const dir of options.templateDirs ?? [])
      for (const f of await templateFiles(dir))
        templates.push(...(await readWorkflowDocuments(f)).filter((d) => TEMPLATE_KINDS.has(d.kind)));
    const docs = await readWorkflowDocuments(file);
    templates.push(...docs.filter((d) => TEMPLATE_KINDS.has(d.kind)));
    const manifests = docs.filter((d): d is Doc & Workflow => d.kind === 'Workflow') as Workflow[];
    for (const cron of docs.filter((d) => d.kind === 'CronWorkflow')) manifests.push(cronRun(cron, options));
    if (manifests.length === 0)
      throw new CliError(`${file}: no Workflow in the file (found ${docs.map((d) => d.kind).join(', ') || 'nothing'})`, 2);
    return { manifests, templates };
  } catch (err) {
    if (err instanceof ManifestFileError) throw new CliError(err.message, 2);
    throw err;
  }
}

/** Registers the templates and submits every manifest; a refused one stops those already submitted (exit 2). */
async function submitAll(
  engine: LocalEngine,
  file: string,
  docs: { manifests: Workflow[]; templates: Doc[] },
  options: RunWorkflowOptions,
  names: string[],
) {
  const { ManifestRejectedError } = await import('../../engine/errors.ts');
  try {
    for (const t of docs.templates) engine.registerTemplate(t);
    for (const manifest of docs.manifests) names.push((await engine.submit(manifest, { parameters: options.parameters })).metadata.name!);
  } catch (err) {
    if (err instanceof ManifestRejectedError) {
      await Promise.all(names.map((n) => engine.stop(n)));
      throw new CliError(`${file}: ${err.message}`, 2);
    }
    throw err;
  }
}

/** Logs and the final line of each finished workflow; the exit code (0 only if all Succeeded). */
async function reportFinals(
  engine: LocalEngine,
  finals: Workflow[],
  report: (wf: Workflow) => void,
  options: RunWorkflowOptions,
): Promise<number> {
  let code = 0;
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
  return code;
}

/** Submits the documents on a started engine, follows them to the end and reports; returns the exit code. */
async function runOn(
  engine: LocalEngine,
  file: string,
  docs: { manifests: Workflow[]; templates: Doc[] },
  options: RunWorkflowOptions,
  where: string,
) {
  const report = progressReporter(options.stderr);
  engine.onUpdate(report);
  const names: string[] = [];
  const resumer = suspendPrompter(engine, names, options);
  engine.onUpdate(resumer.onUpdate);
  await submitAll(engine, file, docs, options, names);
  for (const name of names) options.stderr(`Workflow ${name} submitted (data in ${where})\n`);
  options.onStart?.(async () => {
    await Promise.all(names.map((n) => engine.stop(n)));
  });
  const finals = await Promise.all(names.map((n) => engine.wait(n)));
  const code = await reportFinals(engine, finals, report, options);
  resumer.close();
  // One Workflow: its JSON as before; several: a JSON list.
  if (options.json) options.stdout(`${JSON.stringify(finals.length === 1 ? finals[0] : finals, null, 2)}\n`);
  return code;
}

/** Runs an Argo Workflow file on the local engine and waits for it; returns the exit code (0 only on Succeeded). */
export async function runWorkflowFile(file: string, options: RunWorkflowOptions): Promise<number> {
  // The engine's modules load while the file is read.
  const engineModule = import('../../engine/local/index.ts');
  engineModule.catch(() => undefined);
  const docs = await readManifests(file, options);
  // The compiled schema check comes from the cache (otherwise most of the first submit's time).
  if (options.cacheDir) (await import('../../argo/schema.ts')).useSchemaCache(options.cacheDir);
  const path = await import('node:path');
  const os = await import('node:os');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'ogdc-run-workflow-')));
  try {
    const { createLocalEngine, FileMemoStore } = await engineModule;
    // No database: workflows are kept in memory (nothing reads them after the command); `memoize` caches of a
    // --data-dir run are files there, so a later run in the same folder still hits them.
    const engine = await createLocalEngine({
      dataDir,
      memo: temporary ? undefined : new FileMemoStore(path.join(dataDir, 'memoize')),
      sandbox: options.sandbox ?? 'auto',
      maxProcesses: options.maxProcesses,
      // One user's own machine: an `http` template may call its loopback services.
      allowPrivateHttp: true,
      log: (m) => options.stderr(`${m}\n`),
    });
    try {
      return await runOn(engine, file, docs, options, temporary ? 'a temporary folder' : dataDir);
    } finally {
      await engine.close();
    }
  } finally {
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
      'keep volumes, artifacts, logs and memoize caches here (default: a temporary folder of its own, never OGDC_DATA_DIR)',
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
          dataDir: opts.dataDir, // never the service's OGDC_DATA_DIR: its files and secrets stay out of reach
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
