/**
 * A name that is safe to create inside the fetch directory: no separators, not
 * `.`/`..`. Names come from remote metadata and URLs, so they are untrusted.
 */
export function safeFilename(name: string, fallback: string): string {
  const cleaned = name.replace(/[/\\\0]/g, '_').trim();
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? fallback : cleaned;
}

/** The file name a URL input is saved under: the last segment of its path, decoded; undefined when there is none. */
export function urlFilename(url: string): string | undefined {
  const pathname = new URL(url).pathname;
  const last = pathname.slice(pathname.lastIndexOf('/') + 1);
  if (last === '') return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    decoded = last;
  }
  const safe = safeFilename(decoded, '');
  return safe === '' ? undefined : safe;
}
