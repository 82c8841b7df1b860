import { useState } from 'preact/hooks';
import { postJson, problemText, request } from '../api.ts';
import { PackError, packFolder, recipeFiles } from '../pack.ts';

/** Submit a recipe: a folder from this computer (packed here) or a git/GitHub source. */
// eslint-disable-next-line max-lines-per-function -- a page component: its state, effects and JSX read together
export function SubmitPage({ initial }: { initial: URLSearchParams }) {
  const [source, setSource] = useState(initial.get('source') ?? '');
  const [files, setFiles] = useState<File[]>([]);
  const [overwrite, setOverwrite] = useState(false);
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);
  const [manifest, setManifest] = useState('');

  /** POST /submit or /render with the chosen folder (packed here) or the git source. */
  const send = async <T,>(route: 'submit' | 'render'): Promise<T> => {
    if (files.length > 0) {
      const body = await packFolder(recipeFiles(files));
      const folder = (files[0]!.webkitRelativePath || 'recipe').split('/')[0]!;
      const query = new URLSearchParams({ overwrite: String(overwrite), name: folder });
      const res = await request(`${route}?${query}`, { method: 'POST', headers: { 'content-type': 'application/gzip' }, body });
      return (await res.json()) as T;
    }
    if (source.trim()) return postJson<T>(route, { recipe_path: source.trim(), overwrite });
    throw new PackError('Choose a recipe folder or give a git source.');
  };
  const run = async (what: () => Promise<void>) => {
    setProblem('');
    setBusy(true);
    try {
      await what();
    } catch (err) {
      setProblem(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const result = await send<{ recipe_workflow_name: string }>('submit');
      location.hash = `#/runs/${encodeURIComponent(result.recipe_workflow_name)}`;
    });
  };
  const preview = () =>
    run(async () => {
      setManifest('');
      setManifest(JSON.stringify((await send<{ manifest: unknown }>('render')).manifest, null, 2));
    });
  const lines = problem.split('\n').filter((l) => l.trim());
  return (
    <section aria-labelledby="submit-title">
      <h1 id="submit-title">Submit a recipe</h1>
      <form onSubmit={submit} aria-label="Submit a recipe">
        <label>
          Recipe folder
          <input
            type="file"
            // @ts-expect-error: webkitdirectory is a real attribute that Preact's types do not list.
            webkitdirectory={true}
            multiple
            onChange={(e) => setFiles([...((e.target as HTMLInputElement).files ?? [])])}
          />
        </label>
        {files.length > 0 && (
          <p class="sub">
            {files.length} file{files.length === 1 ? '' : 's'} in {(files[0]!.webkitRelativePath || '').split('/')[0]}
          </p>
        )}
        <label>
          Or a git source
          <input
            type="text"
            value={source}
            placeholder="github://org:repo@ref/path or git+https://…"
            onInput={(e) => setSource((e.target as HTMLInputElement).value)}
            disabled={files.length > 0}
          />
        </label>
        <label class="inline">
          <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite((e.target as HTMLInputElement).checked)} />
          Overwrite the outputs of an earlier run
        </label>
        <div class="actions">
          <button type="button" disabled={busy} onClick={preview}>
            Preview manifest
          </button>
          <button type="submit" disabled={busy}>
            {busy ? 'Working…' : 'Submit'}
          </button>
        </div>
      </form>
      {lines.length > 0 && (
        <div role="alert" class="problems" aria-label="Problems">
          <p>{lines[0]}</p>
          {lines.length > 1 && (
            <ul>
              {lines.slice(1).map((l) => (
                <li>
                  <code>{l.trim()}</code>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {manifest && (
        <section aria-label="Manifest preview">
          <h2>Manifest</h2>
          <pre class="log" tabIndex={0}>
            {manifest}
          </pre>
        </section>
      )}
    </section>
  );
}
