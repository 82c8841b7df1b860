import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dbTargets } from '../helpers/db.ts';
import { startTestService, TEST_ADMIN_PASSWORD, type TestService } from '../helpers/service.ts';
import { serveFiles, writeRecipe } from '../helpers/recipes.ts';
import { makeGitRepo } from '../helpers/git-repo.ts';
import { createEngine } from '../../src/engine/create.ts';
import { packRecipe } from '../../src/cli/commands/submit.ts';
// @ts-expect-error: a plain ES module without types.
import { buildUi } from '../../ui/build.mjs';

const SHOTS = process.env.OGDC_UI_SCREENSHOTS === '1';
const target = dbTargets()[0]!;
const CHROMIUM = '/usr/bin/chromium';
// .ci/run installs Debian's chromium, so on CI a missing browser is a failure, never a silent skip.
const noBrowser = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (apt-get install chromium)`;
if (noBrowser && process.env.CI === 'true') throw new Error(`CI: ${noBrowser}; the browser tests must run`);

describe('the web page in a real browser', { skip: noBrowser }, () => {
  let svc: TestService;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let base: string;
  let browser: Browser;

  before(async () => {
    await buildUi();
    files = await serveFiles({ 'a.txt': 'alpha\n', 'b.txt': 'beta\n' });
    // Inputs are served on loopback; git sources are file:// repositories under the temp folder.
    svc = await startTestService(target, { OGDC_ALLOW_PRIVATE_SOURCES: 'true', OGDC_RECIPE_ROOTS: os.tmpdir() }, { createEngine });
    base = await svc.app.listen({ host: '127.0.0.1', port: 0 });
    await svc.userToken('alice');
    await svc.userToken('bob');
    // Playwright gives every launch a fresh profile directory of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await svc?.stop();
    await files?.close();
  });

  async function signedIn(username: string, password: string, hash = ''): Promise<Page> {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 850 } });
    const page = await context.newPage();
    await page.goto(`${base}/ui/${hash}`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`Signed in as ${username}`).waitFor();
    return page;
  }

  async function submitFolder(page: Page, dir: string) {
    await page.getByRole('link', { name: 'Submit', exact: true }).click();
    await page.getByLabel('Recipe folder').setInputFiles(dir);
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
  }

  const shot = async (page: Page, name: string) => {
    if (SHOTS) await page.screenshot({ path: path.join('docs', `ui-${name}.png`), fullPage: true });
  };

  let aliceRun = '';

  it('signs in, submits a folder, sees it succeed live, reads a log and downloads the zip', async () => {
    const page = await signedIn('alice', 'alice-password');
    await page.getByRole('heading', { name: 'Your runs' }).waitFor();
    const dir = await writeRecipe({
      name: 'Browser copy',
      inputs: [`${files.url}/a.txt`],
      // ~80 KiB of log before the echo: more than the page first asks for.
      steps: ['cp /input_dir/a.txt /output_dir/copied.txt', 'seq 1 15000 && echo copied-it && cp /input_dir/copied.txt /output_dir/'],
    });
    await page.getByRole('link', { name: 'Submit', exact: true }).click();
    await page.getByLabel('Recipe folder').setInputFiles(dir);
    await page.getByRole('button', { name: 'Preview manifest' }).click();
    await page
      .getByRole('region', { name: 'Manifest preview' })
      .getByText(/argoproj\.io\/v1alpha1/)
      .waitFor();
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.getByRole('heading', { name: /Browser copy/ }).waitFor();
    aliceRun = decodeURIComponent(new URL(page.url()).hash.replace('#/runs/', ''));
    assert.match(aliceRun, /^[a-z0-9-]+$/);
    // Live: the phase changes without a reload.
    await page.getByRole('heading', { name: /Browser copy\s*Succeeded/ }).waitFor({ timeout: 60_000 });
    await page.getByRole('group', { name: 'Workflow graph' }).waitFor();
    await shot(page, 'run');
    // The graph works from the keyboard: a focused box opens its step with Enter.
    await page
      .getByRole('group', { name: 'Workflow graph' })
      .getByRole('button', { name: /^fetch: Succeeded/ })
      .focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Step fetch' }).waitFor();
    const steps = page.getByRole('table', { name: 'Steps' });
    const stepButtons = steps.getByRole('button');
    assert.ok((await stepButtons.count()) >= 2);
    // The recipe's own step, not the input fetch or the output packing: the one whose log has its echo.
    let found = false;
    for (let i = 0; i < (await stepButtons.count()) && !found; i++) {
      await stepButtons.nth(i).click();
      await page.getByRole('heading', { name: /^Step / }).waitFor();
      found = await page
        .getByLabel('Log text')
        .getByText(/copied-it/)
        .waitFor({ timeout: 3000 })
        .then(
          () => true,
          () => false,
        );
    }
    assert.ok(found, "one step's log shows the recipe's output");
    // The page shows the log's tail; "Load earlier" brings back its start.
    const logText = () => page.getByLabel('Log text').textContent();
    assert.doesNotMatch((await logText()) ?? '', /: 1\n/);
    await page.getByRole('button', { name: 'Load earlier' }).click();
    await page.waitForFunction(() => /: 1\n[^]*copied-it/.test(document.querySelector('pre.log')?.textContent ?? ''));
    assert.match((await logText()) ?? '', /: 15000\n[^\n]*: copied-it/);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download output' }).click();
    const saved = path.join(await mkdtemp(path.join(os.tmpdir(), 'ogdc-ui-dl-')), 'out.zip');
    await (await download).saveAs(saved);
    const listing = execFileSync('unzip', ['-l', saved], { encoding: 'utf8' });
    assert.match(listing, /copied\.txt/);
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await page.getByRole('table', { name: 'Runs' }).getByRole('link', { name: 'Browser copy' }).waitFor();
    await shot(page, 'runs');
    await page.context().close();
  });

  it("shows a failing run's message and the failing line", async () => {
    const page = await signedIn('alice', 'alice-password');
    const dir = await writeRecipe({
      name: 'Browser fail',
      inputs: [`${files.url}/a.txt`],
      steps: ['echo about-to-fail && grep nothing-like-this /input_dir/a.txt'],
    });
    await submitFolder(page, dir);
    await page.getByRole('heading', { name: /Browser fail\s*(Failed|Error)/ }).waitFor({ timeout: 60_000 });
    await page.locator('.message').waitFor();
    await page.getByRole('table', { name: 'Steps' }).getByRole('row').filter({ hasText: 'Failed' }).getByRole('button').click();
    await page
      .getByLabel('Log text')
      .getByText(/about-to-fail/)
      .waitFor();
    await page.getByRole('heading', { name: /^Step / }).waitFor();
    assert.match(await page.locator('.panel').innerText(), /Exit code\s*1/);
    await page.context().close();
  });

  it('suspends, resumes and cancels a running run', async () => {
    const page = await signedIn('alice', 'alice-password');
    const dir = await writeRecipe({ name: 'Browser slow', inputs: [`${files.url}/a.txt`], steps: ['sleep 60'] });
    await submitFolder(page, dir);
    await page.getByRole('button', { name: 'Suspend run' }).click();
    await page.getByText(/is suspended; resume it/).waitFor();
    await page.getByRole('button', { name: 'Resume run' }).click();
    await page.getByText(/is resumed\./).waitFor();
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByRole('heading', { name: /Browser slow\s*(Failed|Error)/ }).waitFor({ timeout: 30_000 });
    await page.context().close();
  });

  it('submits a git source, and submits it again with overwrite', async () => {
    const repo = await makeGitRepo({
      'recipes/git-one/meta.yml': `name: "Browser git"\nworkflow:\n  type: shell\ninput:\n  params:\n    - {type: url, value: "${files.url}/a.txt"}\noutput: {type: pvc}\n`,
      'recipes/git-one/recipe.sh': 'cp /input_dir/a.txt /output_dir/\n',
    });
    try {
      const page = await signedIn('alice', 'alice-password');
      await page.getByRole('link', { name: 'Submit', exact: true }).click();
      await page.getByLabel('Or a git source').fill(`git+${repo.url}@main#recipes/git-one`);
      await page.getByRole('button', { name: 'Submit', exact: true }).click();
      await page.getByRole('heading', { name: /Browser git\s*Succeeded/ }).waitFor({ timeout: 60_000 });
      const first = page.url();
      // Published outputs are not replaced unless asked.
      await page.getByRole('button', { name: 'Submit again', exact: true }).click();
      await page
        .getByRole('alert')
        .getByText(/overwrite/i)
        .waitFor();
      await page.getByRole('button', { name: 'Submit again, overwriting' }).click();
      await page.waitForURL((u) => u.toString() !== first && u.hash.startsWith('#/runs/'));
      await page.getByRole('heading', { name: /Browser git\s*Succeeded/ }).waitFor({ timeout: 60_000 });
      await page.context().close();
    } finally {
      await repo.cleanup();
    }
  });

  it('shows validation problems before anything runs', async () => {
    const page = await signedIn('alice', 'alice-password');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-bad-recipe-'));
    await writeFile(path.join(dir, 'meta.yml'), 'name: "Broken"\nworkflow:\n  type: nonsense\n');
    await writeFile(path.join(dir, 'recipe.sh'), 'true\n');
    await submitFolder(page, dir);
    const problems = page.getByRole('alert');
    await problems.waitFor();
    // As the CLI prints them: file, key, line, message.
    assert.match(await problems.innerText(), /meta\.yml: workflow\.type \(line 3\): expected one of/);
    await shot(page, 'submit');
    // Too many files: refused in the page, before any upload.
    const many = await mkdtemp(path.join(os.tmpdir(), 'ogdc-many-'));
    await writeFile(path.join(many, 'meta.yml'), 'name: "Many"\n');
    await Promise.all(Array.from({ length: 1000 }, (_, i) => writeFile(path.join(many, `f${i}.txt`), '')));
    const uploads: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && uploads.push(r.url()));
    await page.getByLabel('Recipe folder').setInputFiles(many);
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page
      .getByRole('alert')
      .getByText(/holds 1001 files and 0 folders; a recipe may hold at most 1000/)
      .waitFor();
    assert.deepEqual(uploads, []);
    await page.context().close();
  });

  it('lets the admin create and disable a user, and keeps runs private', async () => {
    const page = await signedIn('admin', TEST_ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('New username').fill('carol');
    await page.getByLabel('Password').fill('carol-password');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('status').getByText('Created carol.').waitFor();
    await page.getByRole('button', { name: 'Disable carol' }).click();
    await page.getByRole('button', { name: 'Enable carol' }).waitFor();
    await shot(page, 'users');
    await page.context().close();

    const bob = await signedIn('bob', 'bob-password', `#/runs/${aliceRun}`);
    await bob.getByRole('heading', { name: 'Run not found' }).waitFor();
    await bob.getByRole('link', { name: 'Runs', exact: true }).click();
    await bob.getByText('No runs yet').waitFor();
    // A session that ends (here: its cookie is gone) asks to sign in, then returns to the same place.
    await bob.getByRole('link', { name: 'Submit', exact: true }).click();
    await bob.getByRole('heading', { name: 'Submit a recipe' }).waitFor();
    await bob.context().clearCookies();
    await bob.getByRole('link', { name: 'Runs', exact: true }).click();
    await bob.getByText('Your session has ended').waitFor();
    await bob.getByLabel('Username').fill('bob');
    await bob.getByLabel('Password').fill('bob-password');
    await bob.getByRole('button', { name: 'Sign in' }).click();
    await bob.getByRole('heading', { name: 'Your runs' }).waitFor();
    assert.match(bob.url(), /#\/$/);
    await bob.context().close();

    const carol = await browser.newPage();
    await carol.goto(`${base}/ui/`);
    await carol.getByLabel('Username').fill('carol');
    await carol.getByLabel('Password').fill('carol-password');
    await carol.getByRole('button', { name: 'Sign in' }).click();
    await carol.getByRole('alert').getByText('Incorrect username or password.').waitFor();
    await carol.close();
  });

  it('works behind API_ROOT_PATH, and in read_only mode shows runs before sign-in, updating live', async () => {
    const rooted = await startTestService(
      target,
      { API_ROOT_PATH: '/ogdc', ACCESS_MODE: 'read_only', OGDC_ALLOW_PRIVATE_SOURCES: 'true' },
      { createEngine },
    );
    try {
      const url = await rooted.app.listen({ host: '127.0.0.1', port: 0 });
      const page = await browser.newPage();
      await page.goto(`${url}/ogdc/ui/`);
      await page.getByRole('button', { name: 'Look at the runs without signing in' }).click();
      await page.getByRole('heading', { name: 'All runs' }).waitFor();
      await page.getByText('No runs yet').waitFor();
      // A run submitted elsewhere appears without a reload: the event stream under /ogdc works.
      const dir = await writeRecipe({ name: 'Rooted run', inputs: [`${files.url}/a.txt`], steps: ['true'], output: 'pvc' });
      const submitted = await fetch(`${url}/ogdc/submit?name=${path.basename(dir)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await rooted.adminToken()}`, 'content-type': 'application/gzip' },
        body: new Uint8Array(await packRecipe(dir)),
      });
      assert.equal(submitted.status, 200, await submitted.text());
      await page.getByRole('table', { name: 'Runs' }).getByRole('link', { name: 'Rooted run' }).waitFor();
      // Signing in from there keeps the page under /ogdc.
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill(TEST_ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Signed in as admin').waitFor();
      assert.match(page.url(), /\/ogdc\/ui\//);
      // A pvc output says where it is published.
      await page.getByRole('table', { name: 'Runs' }).getByRole('link', { name: 'Rooted run' }).click();
      await page.getByText(/published to PVC\s*cephfs-qgnet-ogdc-workflow-pvc, folder\s*rooted-run\//).waitFor();
      await page.close();
    } finally {
      await rooted.stop();
    }
  });
});
