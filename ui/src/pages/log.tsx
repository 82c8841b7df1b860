import { useEffect, useState } from 'preact/hooks';
import { request, url } from '../api.ts';

// The page asks for the last FIRST_WINDOW bytes of a node's log; "Load earlier" asks again for four
// times as much, up to MAX_WINDOW. The page never holds more than MAX_TEXT characters (each line
// comes with its pod's name; a followed log drops its oldest lines); the whole log is one link away, as plain text.
const FIRST_WINDOW = 64 * 1024;
const MAX_WINDOW = 1024 * 1024;
const MAX_TEXT = 4 * 1024 * 1024;

/** A node's log, following live while the run is unfinished. */
// eslint-disable-next-line max-lines-per-function -- a page component: its state, effects and JSX read together
export function NodeLog({ run, node, follow }: { run: string; node: string; follow: boolean }) {
  const [text, setText] = useState('');
  const [window, setWindow] = useState(FIRST_WINDOW);
  // True when the text may not start at the log's beginning: it is as long as the tail asked for (pod names make it longer than the bytes read), or old lines were dropped.
  const [cut, setCut] = useState(false);
  const [state, setState] = useState<'loading' | 'following' | 'done' | 'error'>('loading');
  useEffect(() => {
    setWindow(FIRST_WINDOW);
  }, [run, node]);
  useEffect(() => {
    const controller = new AbortController();
    let all = '';
    let dropped = false;
    setState('loading');
    void (async () => {
      try {
        const query = new URLSearchParams({ node, follow: String(follow), tail_bytes: String(window) });
        const res = await request(`runs/${encodeURIComponent(run)}/logs?${query}`, { signal: controller.signal });
        setState(follow ? 'following' : 'done');
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          all += value;
          if (all.length > MAX_TEXT) {
            // Drop whole lines from the start.
            const from = all.indexOf('\n', all.length - MAX_TEXT);
            all = all.slice(from + 1);
            dropped = true;
          }
          setText(all);
          setCut(dropped || all.length >= window);
        }
        setText(all);
        setCut(dropped || all.length >= window);
        setState('done');
      } catch {
        if (!controller.signal.aborted) setState('error');
      }
    })();
    return () => controller.abort();
  }, [run, node, follow, window]);
  const full = url(`runs/${encodeURIComponent(run)}/logs?${new URLSearchParams({ node })}`);
  return (
    <section aria-label="Log">
      <h3>
        Log <span class="sub">{state === 'following' ? '(following)' : state === 'error' ? '(could not be read)' : ''}</span>
      </h3>
      <div class="actions">
        {cut && window < MAX_WINDOW && (
          <button type="button" onClick={() => setWindow(Math.min(MAX_WINDOW, window * 4))}>
            Load earlier
          </button>
        )}
        <a href={full} target="_blank" rel="noopener">
          Whole log as text
        </a>
        {cut && <span class="sub">Showing the last {Math.round(Math.min(window, MAX_WINDOW) / 1024)} KiB.</span>}
      </div>
      <pre class="log" tabIndex={0} aria-label="Log text" aria-live={follow ? 'polite' : undefined}>
        {text || (state === 'loading' ? 'Loading…' : '(empty)')}
      </pre>
    </section>
  );
}
