import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { createEngine } from '../../src/engine/create.ts';

/** /submit with server-side recipe paths: no answer tells a user anything about the server's files outside the roots. */
describe('/submit recipe_path under OGDC_RECIPE_ROOTS', () => {
  let svc: TestService;
  let token: string;
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'ogdc-roots-'));
    await mkdir(path.join(root, 'recipes'));
    await symlink('/etc', path.join(root, 'recipes', 'etc-link'));
    svc = await startTestService(dbTargets()[0]!, { OGDC_RECIPE_ROOTS: path.join(root, 'recipes') }, { createEngine });
    token = await svc.userToken('eve');
  });
  after(async () => {
    await svc.stop();
    await rm(root, { recursive: true, force: true });
  });

  const submit = async (recipe_path: string) => {
    const res = await svc.app.inject({
      method: 'POST',
      url: '/submit',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: { recipe_path },
    });
    assert.equal(res.statusCode, 400, `${recipe_path}: ${res.body}`);
    const detail = (res.json() as { detail: string }).detail;
    // Only what the user typed appears; the detail with it taken out is the same for every path outside the roots.
    return detail.replace(JSON.stringify(recipe_path), 'PATH');
  };

  it('answers a path outside the roots the same whether it exists, is unreadable or is missing', async () => {
    const outside = [
      '/etc/shadow',
      '/etc',
      '/root/x',
      '/no/such/dir',
      `${root}/recipes/../secret`,
      `${root}/recipes-other`,
      `${root}/recipes/etc-link`,
    ];
    const details = new Set<string>();
    for (const p of outside) details.add(await submit(p));
    assert.deepEqual([...details], ['recipe path PATH is outside the directories recipes may be read from']);
  });

  it('never shows the working directory or the roots: relative paths are refused as written', async () => {
    for (const p of ['x', '../x', 'recipes/x']) {
      const detail = await submit(p);
      assert.equal(detail, 'recipe path PATH: a server-side recipe path must be absolute');
      assert.ok(!detail.includes(process.cwd()) && !detail.includes(root), detail);
    }
  });

  it('says a path under the roots does not exist, naming it as given', async () => {
    assert.equal(await submit(`${root}/recipes/missing`), 'recipe path PATH does not exist');
  });
});
