import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { commands } from '../../src/cli/commands/index.ts';
import { buildProgram } from '../../src/cli/main.ts';

describe('the CLI program', () => {
  it('lists every command under the name its module registers', async () => {
    for (const { name, load } of commands) {
      const program = new Command();
      (await load())(program);
      assert.deepEqual(
        program.commands.map((c) => c.name()),
        [name],
        `the commands table names ${name}`,
      );
    }
  });

  it('loads only the command it runs, and every command for help or an unknown name', async () => {
    const all = commands.map((c) => c.name);
    assert.deepEqual(
      (await buildProgram(['run-workflow', 'wf.yaml'])).commands.map((c) => c.name()),
      ['run-workflow'],
    );
    assert.deepEqual(
      (await buildProgram(['--help'])).commands.map((c) => c.name()),
      all,
    );
    assert.deepEqual(
      (await buildProgram(['help', 'cron'])).commands.map((c) => c.name()),
      all,
    );
    assert.deepEqual(
      (await buildProgram(['sbumit'])).commands.map((c) => c.name()),
      all,
    );
  });
});
