/** Quotes text as one POSIX shell word: `it's` → `'it'\''s'`. */
export function shQuote(text: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
