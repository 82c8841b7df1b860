import type { Command } from 'commander';

/** A CLI command module: adds itself to the program. Heavy modules are imported inside the action. */
type RegisterCommand = (program: Command) => void;

/** Every command, in the order `--help` lists them. Add new command modules here. */
export const commands: Array<() => Promise<RegisterCommand>> = [
  () => import('./submit.ts').then((m) => m.register),
  () => import('./check-workflow-status.ts').then((m) => m.register),
  () => import('./validate-recipe.ts').then((m) => m.register),
  () => import('./validate-all-recipes.ts').then((m) => m.register),
  () => import('./get-output.ts').then((m) => m.register),
  () => import('./runs.ts').then((m) => m.register),
  () => import('./logs.ts').then((m) => m.register),
  () => import('./cancel.ts').then((m) => m.register),
  () => import('./resume.ts').then((m) => m.register),
  () => import('./suspend.ts').then((m) => m.register),
  () => import('./create-user.ts').then((m) => m.register),
  () => import('./set-token.ts').then((m) => m.register),
  () => import('./login.ts').then((m) => m.register),
  () => import('./logout.ts').then((m) => m.register),
  () => import('./serve.ts').then((m) => m.register),
  () => import('./render.ts').then((m) => m.register),
  () => import('./run-workflow.ts').then((m) => m.register),
  () => import('./cron.ts').then((m) => m.register),
  () => import('./templates.ts').then((m) => m.register),
];
