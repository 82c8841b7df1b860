/** True when a file name matches a pattern case-insensitively; `*` is any run of characters, `?` one character. */
export function matchesFilename(name: string, pattern: string): boolean {
  const source = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'is').test(name);
}
