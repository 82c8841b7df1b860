import { spawn } from 'node:child_process';
import type { Template } from '../../src/argo/types.ts';

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Runs a container template's command on this host the way the local engine does without a
 * sandbox: Argo tags substituted, then the declared absolute paths (`/mnt/workflow`,
 * `/input_dir`…) rewritten to test folders in one pass, so inserted paths are never rewritten again.
 */
export function runContainerTemplate(
  template: Template,
  context: { workflowName: string; parameters?: Record<string, string>; paths: Record<string, string> },
): Promise<RunResult> {
  const container = template.container;
  if (!container) throw new Error(`template ${template.name} has no container`);
  const keys = Object.keys(context.paths).sort((a, b) => b.length - a.length);
  const pathPattern = new RegExp(keys.map(escape).join('|'), 'g');
  const substitute = (text: string) =>
    text
      .replace(/\{\{workflow\.name\}\}/g, context.workflowName)
      .replace(/\{\{inputs\.parameters\.([\w-]+)\}\}/g, (_, name: string) => {
        const value = context.parameters?.[name];
        if (value === undefined) throw new Error(`parameter ${name} not supplied`);
        return value;
      })
      .replace(pathPattern, (match) => context.paths[match]!);
  const [command, ...rest] = [...(container.command ?? []), ...(container.args ?? [])].map(substitute);
  return new Promise((resolve, reject) => {
    const child = spawn(command!, rest, {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
