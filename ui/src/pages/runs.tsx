import { useState } from 'preact/hooks';
import { json, problemText, type Run, type Session } from '../api.ts';
import { duration, phaseClass, PHASES, time } from '../format.ts';
import { useRunChanges } from '../live.ts';

const PAGE = 20;

/** The signed-in user's runs (an admin's: everyone's), newest first, live. */
// eslint-disable-next-line max-lines-per-function -- a page component: its state, effects and JSX read together
export function RunsPage({ session }: { session: Session }) {
  const [phase, setPhase] = useState('');
  const [recipe, setRecipe] = useState('');
  const [offset, setOffset] = useState(0);
  const [data, setData] = useState<{ runs: Run[]; total: number } | undefined>();
  const [error, setError] = useState('');
  // An admin sees everyone's runs, and so does a read_only visitor who has not signed in.
  const everyone = session.is_admin || session.anonymous === true;

  const load = async (p = phase, r = recipe, o = offset) => {
    const query = new URLSearchParams({ limit: String(PAGE), offset: String(o) });
    if (p) query.set('phase', p);
    if (r.trim()) query.set('recipe', r.trim());
    try {
      setData(await json<{ runs: Run[]; total: number }>(`runs?${query}`));
      setError('');
    } catch (err) {
      setError(problemText(err));
    }
  };
  useRunChanges(() => void load());

  const change = (p: string, r: string, o: number) => {
    setPhase(p);
    setRecipe(r);
    setOffset(o);
    void load(p, r, o);
  };
  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">{everyone ? 'All runs' : 'Your runs'}</h1>
      <form class="filters" role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Phase
          <select value={phase} onChange={(e) => change((e.target as HTMLSelectElement).value, recipe, 0)}>
            <option value="">Any</option>
            {PHASES.map((p) => (
              <option value={p}>{p}</option>
            ))}
          </select>
        </label>
        <label>
          Recipe
          <input
            type="search"
            value={recipe}
            placeholder="id or name"
            onInput={(e) => change(phase, (e.target as HTMLInputElement).value, 0)}
          />
        </label>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!data ? (
        <p aria-busy="true">Loading runs…</p>
      ) : data.runs.length === 0 ? (
        <p>
          No runs{phase || recipe ? ' match' : ' yet'}. <a href="#/submit">Submit a recipe</a>.
        </p>
      ) : (
        <div class="scroll">
          <table aria-label="Runs">
            <thead>
              <tr>
                <th scope="col">Recipe</th>
                {everyone && <th scope="col">Submitter</th>}
                <th scope="col">Phase</th>
                <th scope="col">Progress</th>
                <th scope="col">Submitted</th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {data.runs.map((run) => (
                <tr key={run.recipe_workflow_name ?? run.submitted_at}>
                  <td>
                    {run.recipe_workflow_name ? (
                      <a href={`#/runs/${encodeURIComponent(run.recipe_workflow_name)}`}>{run.recipe_name}</a>
                    ) : (
                      run.recipe_name
                    )}
                    <div class="sub">{run.recipe_workflow_name}</div>
                  </td>
                  {everyone && <td>{run.submitter}</td>}
                  <td>
                    <span class={phaseClass(run.status)}>{run.status ?? 'Pending'}</span>
                    {run.message && <div class="sub">{run.message}</div>}
                  </td>
                  <td>{run.progress ?? '—'}</td>
                  <td>{time(run.submitted_at)}</td>
                  <td>{duration(run.started_at, run.finished_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.total > PAGE && (
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={offset === 0} onClick={() => change(phase, recipe, Math.max(0, offset - PAGE))}>
            Newer
          </button>
          <span>
            {offset + 1}–{Math.min(offset + PAGE, data.total)} of {data.total}
          </span>
          <button type="button" disabled={offset + PAGE >= data.total} onClick={() => change(phase, recipe, offset + PAGE)}>
            Older
          </button>
        </nav>
      )}
    </section>
  );
}
