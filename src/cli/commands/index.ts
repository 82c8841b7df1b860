import type { Command } from 'commander';

/** A CLI command module: adds itself to the program. Heavy modules are imported inside the action. */
type RegisterCommand = (program: Command) => void;

/**
 * Every command, in the order `--help` lists them, each under the name it registers (the program loads only the
 * one it runs). Add new command modules here.
 */
export const commands: Array<{ name: string; load: () => Promise<RegisterCommand> }> = [
  { name: 'submit', load: () => import('./submit.ts').then((m) => m.register) },
  { name: 'check-workflow-status', load: () => import('./check-workflow-status.ts').then((m) => m.register) },
  { name: 'validate-recipe', load: () => import('./validate-recipe.ts').then((m) => m.register) },
  { name: 'validate-all-recipes', load: () => import('./validate-all-recipes.ts').then((m) => m.register) },
  { name: 'get-output', load: () => import('./get-output.ts').then((m) => m.register) },
  { name: 'runs', load: () => import('./runs.ts').then((m) => m.register) },
  { name: 'logs', load: () => import('./logs.ts').then((m) => m.register) },
  { name: 'cancel', load: () => import('./cancel.ts').then((m) => m.register) },
  { name: 'resume', load: () => import('./resume.ts').then((m) => m.register) },
  { name: 'suspend', load: () => import('./suspend.ts').then((m) => m.register) },
  { name: 'create-user', load: () => import('./create-user.ts').then((m) => m.register) },
  { name: 'set-token', load: () => import('./set-token.ts').then((m) => m.register) },
  { name: 'login', load: () => import('./login.ts').then((m) => m.register) },
  { name: 'logout', load: () => import('./logout.ts').then((m) => m.register) },
  { name: 'serve', load: () => import('./serve.ts').then((m) => m.register) },
  { name: 'render', load: () => import('./render.ts').then((m) => m.register) },
  { name: 'run-workflow', load: () => import('./run-workflow.ts').then((m) => m.register) },
  { name: 'cron', load: () => import('./cron.ts').then((m) => m.register) },
  { name: 'templates', load: () => import('./templates.ts').then((m) => m.register) },
];
