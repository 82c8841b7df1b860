// Times in the viewer's own time zone and durations in words, through the browser's Intl.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function time(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

/** "2 h 5 min", "3 min 4 s", "12 s". */
export function duration(fromIso: string | null | undefined, toIso?: string | null, now = Date.now()): string {
  if (!fromIso) return '—';
  const ms = Math.max(0, (toIso ? Date.parse(toIso) : now) - Date.parse(fromIso));
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Error'] as const;

export function phaseClass(phase: string | null | undefined): string {
  return `phase phase-${(phase ?? 'Pending').toLowerCase()}`;
}
