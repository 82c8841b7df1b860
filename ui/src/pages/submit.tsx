import { useState } from 'preact/hooks';
import { postJson, problemText, request } from '../api.ts';
import { PackError, packFolder, recipeFiles } from '../pack.ts';

/** Submit a recipe: a folder from this computer (packed here) or a git/GitHub source. */
export function SubmitPage({ initial }: { initial: URLSearchParams }) {
  const [source, setSource] = useState(initial.get('source') ?? '');
  const [files, setFiles] = useState<File[]>([]);
  const [overwrite, setOverwrite] = useState(false);
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setProblem('');
    setBusy(true);
    try {
      let result: { recipe_workflow_name: string };
      if (files.length > 0) {
        const chosen = recipeFiles(files);
        const body = await packFolder(chosen);
        const folder = (files[0]!.webkitRelativePath || 'recipe').split('/')[0]!;
        const query = new URLSearchParams({ overwrite: String(overwrite), name: folder });
        const res = await request(`submit?${query}`, { method: 'POST', headers: { 'content-type': 'application/gzip' }, body });
        result = (await res.json()) as { recipe_workflow_name: string };
      } else if (source.trim()) {
        result = await postJson('submit', { recipe_path: source.trim(), overwrite });
      } else {
        throw new PackError('Choose a recipe folder or give a git source.');
      }
      location.hash = `#/runs/${encodeURIComponent(result.recipe_workflow_name)}`;
    } catch (err) {
      setProblem(problemText(err));
    } finally {
      setBusy(false);
    }
  };
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
        <button type="submit" disabled={busy}>
          {busy ? 'Submitting…' : 'Submit'}
        </button>
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
    </section>
  );
}
