/**
 * Schedule arithmetic with cron-parser (five fields, or six with seconds; `@daily` and the like; time zones
 * by IANA name), as Argo's cron controller does with robfig/cron: the next run of several schedules is the
 * earliest of them; a missed run is the latest schedule time passed since the last scheduled time.
 */
import { CronExpressionParser } from 'cron-parser';

/** Parses one schedule; throws with cron-parser's message (a bad time zone says "time zone"). */
export function parseSchedule(schedule: string, timezone: string | undefined, from: Date) {
  if (timezone && !isTimeZone(timezone)) throw new Error(`unknown time zone ${JSON.stringify(timezone)}`);
  // Argo (robfig/cron) also reads a leading CRON_TZ=… / TZ=… in the schedule itself.
  const m = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(schedule.trim());
  if (m && !isTimeZone(m[1]!)) throw new Error(`unknown time zone ${JSON.stringify(m[1])}`);
  const expr = m ? m[2]! : schedule.trim();
  // Argo's parser takes minute, hour, day of month, month, day of week, or a descriptor (@hourly): no seconds.
  if (!expr.startsWith('@') && expr.split(/\s+/).length !== 5)
    throw new Error('expected 5 fields (minute hour day-of-month month day-of-week) or a descriptor such as @hourly');
  return CronExpressionParser.parse(expr, { currentDate: from, tz: m ? m[1] : timezone || 'UTC', strict: false });
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The earliest run of any of the schedules strictly after `after`. */
export function nextRun(schedules: string[], timezone: string | undefined, after: Date): Date | undefined {
  let best: Date | undefined;
  for (const s of schedules) {
    const next = parseSchedule(s, timezone, after).next().toDate();
    if (!best || next < best) best = next;
  }
  return best;
}

/** The latest schedule time in (`after`, `until`] over all schedules, if any. */
export function latestRunBetween(schedules: string[], timezone: string | undefined, after: Date, until: Date): Date | undefined {
  let best: Date | undefined;
  for (const s of schedules) {
    // cron-parser's prev() from `until` (inclusive of `until` itself: step one millisecond past it).
    const prev = parseSchedule(s, timezone, new Date(until.getTime() + 1))
      .prev()
      .toDate();
    if (prev > after && (!best || prev > best)) best = prev;
  }
  return best;
}
