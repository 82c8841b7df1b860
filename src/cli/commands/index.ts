import type { Command } from 'commander';

/** A CLI command module: adds itself to the program. Heavy modules are imported inside the action. */
export type RegisterCommand = (program: Command) => void;

/** Every command, in the order `--help` lists them. Add new command modules here. */
export const commands: Array<() => Promise<{ register: RegisterCommand }>> = [
  () => import('./submit.ts'),
  () => import('./check-workflow-status.ts'),
  () => import('./validate-recipe.ts'),
  () => import('./validate-all-recipes.ts'),
  () => import('./get-output.ts'),
  () => import('./runs.ts'),
  () => import('./logs.ts'),
  () => import('./cancel.ts'),
  () => import('./resume.ts'),
  () => import('./suspend.ts'),
  () => import('./create-user.ts'),
  () => import('./set-token.ts'),
  () => import('./login.ts'),
  () => import('./logout.ts'),
  () => import('./serve.ts'),
  () => import('./render.ts'),
  () => import('./run-workflow.ts'),
  () => import('./cron.ts'),
  () => import('./templates.ts'),
];
