import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTarGz } from '../helpers/tar-builder.ts';
import { bearer, dbTargets, startArgoBackedService, type ArgoBackedService } from '../reliability/setup.ts';

function recipeWithInputs(name: string, urls: string[]): Buffer {
  const meta = [
    `name: "${name}"`,
    'workflow:',
    '  type: shell',
    'input:',
    '  params:',
    ...urls.flatMap((u) => ['    - type: url', `      value: "${u}"`]),
    'output:',
    '  type: temporary',
    '',
  ].join('\n');
  return buildTarGz([
    { name: 'meta.yml', content: meta },
    { name: 'recipe.sh', content: 'cp /input_dir/* /output_dir/\n' },
  ]);
}

for (const target of dbTargets()) {
  describe(`input URLs on private hosts are refused at submit on ${target.name}`, () => {
    let s: ArgoBackedService;
    let alice: string;
    before(async () => {
      s = await startArgoBackedService(target);
      alice = await s.svc.userToken('alice');
    });
    after(() => s.stop());
    const upload = (archive: Buffer) =>
      s.svc.app.inject({
        method: 'POST',
        url: '/submit',
        headers: bearer(alice, { 'content-type': 'application/gzip' }),
        payload: archive,
      });

    it('answers 422 naming the input, and records and submits nothing', async () => {
      for (const [url, file] of [
        ['http://127.0.0.1:2746/api/v1/workflows', 'workflows'],
        ['http://169.254.169.254/latest/meta-data/iam', 'iam'],
        ['http://[::1]:8000/token', 'token'],
        ['http://10.0.0.8/data.gpkg', 'data.gpkg'],
      ] as const) {
        const res = await upload(recipeWithInputs('Private input', ['https://203.0.113.9/fine.gpkg', url]));
        assert.equal(res.statusCode, 422, res.body);
        const [issue] = res.json().detail as Array<{ loc: string[]; msg: string }>;
        assert.deepEqual(issue!.loc, ['input', file]);
        assert.ok(issue!.msg.includes(url) && issue!.msg.includes('OGDC_ALLOW_PRIVATE_SOURCES'), issue!.msg);
      }
      assert.equal((await s.svc.ctx.db.query("SELECT 1 FROM recipe_runs WHERE recipe_id = 'private-input'")).length, 0);
      assert.equal(s.argo.workflows.size, 0);
    });

    it('lets public and unresolvable hosts through (the fetch step fails on the latter itself)', async () => {
      const res = await upload(recipeWithInputs('Public input', ['https://203.0.113.9/a.gpkg', 'https://no-such-host.invalid/b.gpkg']));
      assert.equal(res.statusCode, 200, res.body);
    });
  });
}
