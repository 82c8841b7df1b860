import { useEffect, useState } from 'preact/hooks';
import { ApiError, json, postJson, problemText, type RunDetail, type RunNode, type Session } from '../api.ts';
import { duration, phaseClass, time } from '../format.ts';
import { useRunChanges } from '../live.ts';
import { Graph } from './graph.tsx';
import { NodeLog } from './log.tsx';

const FINISHED = new Set(['Succeeded', 'Failed', 'Error']);

function Params({ title, params }: { title: string; params: Array<{ name: string; value: string | null }> }) {
  if (params.length === 0) return null;
  return (
    <>
      <dt>{title}</dt>
      <dd>
        <ul class="params">
          {params.map((p) => (
            <li>
              <code>{p.name}</code> = <code>{p.value ?? ''}</code>
            </li>
          ))}
        </ul>
      </dd>
    </>
  );
}

function NodePanel({ run, node }: { run: RunDetail; node: RunNode }) {
  return (
    <section class="panel" aria-labelledby="node-title">
      <h2 id="node-title">Step {node.display_name}</h2>
      <dl class="facts">
        <dt>Phase</dt>
        <dd>
          <span class={phaseClass(node.phase)}>{node.phase}</span>
        </dd>
        <dt>Exit code</dt>
        <dd>{node.exit_code ?? '—'}</dd>
        <dt>Message</dt>
        <dd>{node.message ?? '—'}</dd>
        <dt>Duration</dt>
        <dd>{duration(node.started_at, node.finished_at)}</dd>
        <Params title="Inputs" params={node.inputs} />
        <Params title="Outputs" params={node.outputs} />
      </dl>
      {node.type === 'Pod' && run.recipe_workflow_name && (
        <NodeLog run={run.recipe_workflow_name} node={node.id} follow={!FINISHED.has(node.phase) && !FINISHED.has(run.status ?? '')} />
      )}
    </section>
  );
}

/** One run: its facts, graph, steps, a step's log, and what can be done with it. */
// eslint-disable-next-line max-lines-per-function -- a page component: its state, effects and JSX read together
export function RunPage({ name }: { name: string; session: Session }) {
  const [run, setRun] = useState<RunDetail | undefined>();
  const [missing, setMissing] = useState(false);
  const [selected, setSelected] = useState<string | undefined>();
  const [notice, setNotice] = useState('');
  const [error, setError] = useState('');

  const load = async () => {
    try {
      setRun(await json<RunDetail>(`runs/${encodeURIComponent(name)}`));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setMissing(true);
      else setError(problemText(err));
    }
  };
  useEffect(() => {
    setRun(undefined);
    setMissing(false);
    setSelected(undefined);
  }, [name]);
  useRunChanges(() => void load());
  // Steps change between run-row changes; while the run is going, look again now and then.
  useEffect(() => {
    if (!run || FINISHED.has(run.status ?? '')) return;
    const timer = setInterval(() => void load(), 2000);
    return () => clearInterval(timer);
  }, [run?.status, name]);

  if (missing)
    return (
      <section>
        <h1>Run not found</h1>
        <p role="alert">There is no run {name} that you can see.</p>
        <a href="#/">Back to your runs</a>
      </section>
    );
  if (!run) return <p aria-busy="true">Loading run…</p>;

  const act = async (what: () => Promise<string>) => {
    setError('');
    setNotice('');
    try {
      setNotice(await what());
      void load();
    } catch (err) {
      setError(problemText(err));
    }
  };
  const runAction = (action: 'cancel' | 'suspend' | 'resume') => () =>
    act(async () => (await postJson<{ message: string }>(`runs/${encodeURIComponent(name)}/${action}`, {})).message);
  const cancel = runAction('cancel');
  const download = () =>
    act(async () => {
      const { data_url } = await json<{ data_url: string }>(`output/${encodeURIComponent(name)}`);
      location.assign(data_url);
      return 'Download started.';
    });
  const uploaded = run.recipe_path.startsWith('upload:');
  const again = (overwrite: boolean) =>
    act(async () => {
      const res = await postJson<{ recipe_workflow_name: string; message: string }>('submit', { recipe_path: run.recipe_path, overwrite });
      location.hash = `#/runs/${encodeURIComponent(res.recipe_workflow_name)}`;
      return res.message;
    });
  const node = run.nodes.find((n) => n.id === selected);
  const failed = run.nodes.filter((n) => n.type === 'Pod' && (n.phase === 'Failed' || n.phase === 'Error'));
  return (
    <section aria-labelledby="run-title">
      <h1 id="run-title">
        {run.recipe_name} <span class={phaseClass(run.status)}>{run.status ?? 'Pending'}</span>
      </h1>
      <dl class="facts">
        <dt>Workflow</dt>
        <dd>
          <code>{run.recipe_workflow_name}</code>
        </dd>
        <dt>Recipe</dt>
        <dd>
          {run.recipe_id} from <code>{run.recipe_path}</code>
        </dd>
        <dt>Submitter</dt>
        <dd>{run.submitter}</dd>
        <dt>Progress</dt>
        <dd>{run.progress ?? '—'}</dd>
        <dt>Submitted</dt>
        <dd>{time(run.submitted_at)}</dd>
        <dt>Started</dt>
        <dd>{time(run.started_at)}</dd>
        <dt>Finished</dt>
        <dd>{time(run.finished_at)}</dd>
        <dt>Duration</dt>
        <dd>{duration(run.started_at, run.finished_at)}</dd>
        <dt>Output</dt>
        <dd>
          {run.output_type === 'temporary' ? (
            'a zip to download'
          ) : run.output_location ? (
            <>
              published to PVC <code>{run.output_location.claim_name}</code>, folder <code>{run.output_location.path}</code>
            </>
          ) : (
            `published to ${run.output_type} (recipe ${run.recipe_id})`
          )}
        </dd>
      </dl>
      {run.message && (
        <p class="message" role={FINISHED.has(run.status ?? '') && run.status !== 'Succeeded' ? 'alert' : undefined}>
          {run.message}
        </p>
      )}
      {failed.map((n) => (
        <p class="error">
          {n.display_name}: {n.message ?? n.phase}
        </p>
      ))}
      <div class="actions">
        {!FINISHED.has(run.status ?? '') && (
          <>
            <button type="button" onClick={cancel}>
              Cancel run
            </button>
            <button type="button" onClick={runAction('suspend')} title="Running steps go on; no new step starts until it is resumed">
              Suspend run
            </button>
            <button type="button" onClick={runAction('resume')}>
              Resume run
            </button>
          </>
        )}
        {run.output_available && (
          <button type="button" onClick={download}>
            Download output
          </button>
        )}
        {FINISHED.has(run.status ?? '') &&
          (uploaded ? (
            <a class="button" href="#/submit">
              Submit again (choose the folder)
            </a>
          ) : (
            <>
              <button type="button" onClick={() => again(false)}>
                Submit again
              </button>
              <button type="button" onClick={() => again(true)}>
                Submit again, overwriting
              </button>
            </>
          ))}
      </div>
      {notice && <p role="status">{notice}</p>}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <h2>Graph</h2>
      <div class="scroll">
        <Graph nodes={run.nodes} selected={selected} onSelect={setSelected} />
      </div>
      <h2>Steps</h2>
      <div class="scroll">
        <table aria-label="Steps">
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Phase</th>
              <th scope="col">Exit code</th>
              <th scope="col">Duration</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {run.nodes
              .filter((n) => n.type === 'Pod')
              .map((n) => (
                <tr key={n.id} class={n.id === selected ? 'selected' : undefined}>
                  <td>
                    <button type="button" class="link" onClick={() => setSelected(n.id)} aria-pressed={n.id === selected}>
                      {n.display_name}
                    </button>
                  </td>
                  <td>
                    <span class={phaseClass(n.phase)}>{n.phase}</span>
                  </td>
                  <td>{n.exit_code ?? '—'}</td>
                  <td>{duration(n.started_at, n.finished_at)}</td>
                  <td>{n.message ?? ''}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </div>
      {node && <NodePanel run={run} node={node} />}
    </section>
  );
}
