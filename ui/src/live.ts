import { useEffect, useRef } from 'preact/hooks';
import { url } from './api.ts';

/**
 * Calls `onChange` at once, then whenever a run changes and on every (re)connect of the one
 * event stream, so a page that refetches on it catches up on whatever it missed while away
 * (including between its first fetch and the stream being ready).
 * Calls after the first are coalesced: a burst of changes causes one refetch.
 */
export function useRunChanges(onChange: () => void): void {
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(() => latest.current(), 150);
    };
    latest.current();
    const events = new EventSource(url('runs/events'));
    events.addEventListener('ready', soon);
    events.addEventListener('run', soon);
    // A closed stream (e.g. the session ended) is not retried by the browser: the refetch then finds the 401.
    events.onerror = () => {
      if (events.readyState === EventSource.CLOSED) soon();
    };
    return () => {
      clearTimeout(timer);
      events.close();
    };
  }, []);
}
