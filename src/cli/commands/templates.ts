import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';
import { manifestHead, readManifest } from './cron.ts';
import { formatTable } from '../table.ts';

interface TemplateItem {
  kind: string;
  metadata: { name: string; namespace?: string };
  owner: string | null;
  templates: string[];
  updated_at: string;
  manifest?: unknown;
}

/** A table of kept templates: name, owner, namespace and the templates each holds. */
function formatTemplates(items: TemplateItem[]): string {
  const header = ['NAME', 'OWNER', 'NAMESPACE', 'TEMPLATES', 'UPDATED'];
  const rows = items.map((t) => [
    t.metadata.name,
    t.owner ?? '(cluster)',
    t.metadata.namespace ?? '-',
    t.templates.join(', '),
    t.updated_at,
  ]);
  return formatTable(header, rows).join('\n');
}

interface Scope {
  cluster?: boolean;
  owner?: string;
}

const collection = (opts: Scope) => (opts.cluster ? '/cluster-workflow-templates' : '/workflow-templates');
const kindOf = (opts: Scope) => (opts.cluster ? 'ClusterWorkflowTemplate' : 'WorkflowTemplate');
const item = (name: string, opts: Scope) =>
  `${collection(opts)}/${encodeURIComponent(name)}${opts.owner ? `?owner=${encodeURIComponent(opts.owner)}` : ''}`;

function scoped(command: Command, owner = true): Command {
  command.option('--cluster', 'a ClusterWorkflowTemplate (everyone may use it; only admin may change it)');
  if (owner) command.option('--owner <user>', "admin: another user's WorkflowTemplate");
  return command;
}

/** `ogdc-runner templates list|get NAME|create FILE|update FILE|delete NAME [--cluster] [--owner USER]`. */
export function register(program: Command): void {
  const templates = program
    .command('templates')
    .description('WorkflowTemplates the service keeps for your CronWorkflows (workflowTemplateRef, templateRef; local engine)');
  scoped(templates.command('list').description("List your WorkflowTemplates (admin: everyone's), or the cluster ones"), false)
    .option('--json', 'print the API answer as JSON')
    .action(async (opts: Scope & { json?: boolean }) => {
      const answer = await new ApiClient().json<{ items: TemplateItem[] }>(collection(opts));
      process.stdout.write(`${opts.json ? JSON.stringify(answer, null, 2) : formatTemplates(answer.items)}\n`);
    });
  scoped(templates.command('get').description('Print a kept template as JSON').argument('<name>', 'the template name')).action(
    async (name: string, opts: Scope) => {
      const answer = await new ApiClient().json<TemplateItem>(item(name, opts));
      process.stdout.write(`${JSON.stringify(answer.manifest, null, 2)}\n`);
    },
  );
  for (const action of ['create', 'update'] as const) {
    scoped(
      templates
        .command(action)
        .description(
          action === 'create'
            ? 'Keep the template of a manifest file (YAML or JSON)'
            : 'Replace a kept template with the manifest in a file (same metadata.name)',
        )
        .argument('<file>', 'the WorkflowTemplate or ClusterWorkflowTemplate manifest'),
      action === 'update',
    ).action(async (file: string, opts: Scope) => {
      const text = await readManifest(file);
      const head = manifestHead(text, file);
      // The file says which kind it is; --cluster is then not needed.
      if (head.kind === 'ClusterWorkflowTemplate') opts.cluster = true;
      const route = action === 'create' ? collection(opts) : item(head.name, opts);
      const answer = await new ApiClient().json<TemplateItem>(route, {
        method: action === 'create' ? 'POST' : 'PUT',
        headers: { 'content-type': 'application/yaml' },
        body: text,
      });
      process.stdout.write(`${kindOf(opts)} ${answer.metadata.name} ${action}d (templates: ${answer.templates.join(', ')})\n`);
    });
  }
  scoped(templates.command('delete').description('Delete a kept template').argument('<name>', 'the template name')).action(
    async (name: string, opts: Scope) => {
      await new ApiClient().json(item(name, opts), { method: 'DELETE' });
      process.stdout.write(`${kindOf(opts)} ${name}: deleted\n`);
    },
  );
}
