import { useEffect, useState } from 'preact/hooks';
import { request } from '../api.ts';

// The browser holds at most this much of a log, and shows a window of it that "Load earlier" widens.
const KEEP_BYTES = 4 * 1024 * 1024;
const WINDOW = 64 * 1024;

/** A node's log, following live while the run is unfinished. */
export function NodeLog({ run, node, follow }: { run: string; node: string; follow: boolean }) {
  const [text, setText] = useState('');
  const [shown, setShown] = useState(WINDOW);
  const [state, setState] = useState<'loading' | 'following' | 'done' | 'error'>('loading');
  useEffect(() => {
    const controller = new AbortController();
    let all = '';
    setText('');
    setShown(WINDOW);
    setState('loading');
    void (async () => {
      try {
        const query = new URLSearchParams({ node, follow: String(follow) });
        const res = await request(`runs/${encodeURIComponent(run)}/logs?${query}`, { signal: controller.signal });
        setState(follow ? 'following' : 'done');
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          all += value;
          if (all.length > KEEP_BYTES) all = all.slice(all.length - KEEP_BYTES);
          setText(all);
        }
        setState('done');
      } catch {
        if (!controller.signal.aborted) setState('error');
      }
    })();
    return () => controller.abort();
  }, [run, node, follow]);
  const visible = text.length > shown ? text.slice(text.length - shown) : text;
  return (
    <section aria-label="Log">
      <h3>
        Log <span class="sub">{state === 'following' ? '(following)' : state === 'error' ? '(could not be read)' : ''}</span>
      </h3>
      {text.length > shown && (
        <button type="button" onClick={() => setShown(shown + WINDOW)}>
          Load earlier
        </button>
      )}
      <pre class="log" tabIndex={0} aria-label="Log text" aria-live="polite">
        {visible || (state === 'loading' ? 'Loading…' : '(empty)')}
      </pre>
    </section>
  );
}
