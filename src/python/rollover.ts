/**
 * When a timed rotation happens, and which time its backup is named after, as Python's
 * `logging.handlers.TimedRotatingFileHandler` computes them; Circus's TimedRotatingFileStream
 * is a copy of that code, so the daemon's log and the watchers' streams share this schedule.
 *
 * Fixed intervals (S, M, H, D) are elapsed seconds. MIDNIGHT and W0-W6 fall on local midnight
 * (UTC midnight with `utc`), counted in calendar days, so that they stay there when a daylight
 * saving change makes a day 23 or 25 hours long. Python counts them in seconds and corrects
 * by an hour afterwards, which goes wrong in places (a weekly rollover at 23:00, twice, after
 * spring's change; an hourly backup named an hour off, overwriting its neighbour): there we
 * do not follow it.
 */

const DAY = 86_400;

/** A `when` of Python's handler (Circus's `rotate_when`), read. */
import { statSync } from "node:fs";
export interface RolloverRule {
  /** Upper-cased: S, M, H, D, MIDNIGHT or W0-W6. */
  readonly when: string;
  /** Seconds in one interval of `when` (a week for W0-W6). */
  readonly unit: number;
  /** The weekday of W0-W6 (0 is Monday), else null. */
  readonly weekday: number | null;
  /** Whether rollovers fall on midnight (MIDNIGHT and W0-W6). */
  readonly midnight: boolean;
}

const UNITS: Record<string, number> = { S: 1, M: 60, H: 3600, D: DAY, MIDNIGHT: DAY };

/** The rule of a `when`, in any case; null when it is none of Python's. */
export function rolloverRule(when: string): RolloverRule | null {
  const upper = when.toUpperCase();
  const unit = Object.hasOwn(UNITS, upper) ? UNITS[upper] : undefined;
  if (unit !== undefined)
    return { when: upper, unit, weekday: null, midnight: upper === "MIDNIGHT" };
  const weekly = /^W([0-6])$/.exec(upper);
  if (weekly) return { when: upper, unit: 7 * DAY, weekday: Number(weekly[1]), midnight: true };
  return null;
}

/** Epoch seconds of the start of a day (local, or UTC with `utc`); `day` may overflow. */
function dayStart(year: number, month: number, day: number, utc: boolean): number {
  return (utc ? Date.UTC(year, month, day) : new Date(year, month, day).getTime()) / 1000;
}

/** The calendar date of an epoch time, local or UTC, with Python's weekday (0 is Monday). */
function dateOf(seconds: number, utc: boolean): { y: number; m: number; d: number; wd: number } {
  const t = new Date(seconds * 1000);
  return utc
    ? { y: t.getUTCFullYear(), m: t.getUTCMonth(), d: t.getUTCDate(), wd: (t.getUTCDay() + 6) % 7 }
    : { y: t.getFullYear(), m: t.getMonth(), d: t.getDate(), wd: (t.getDay() + 6) % 7 };
}

/** The rollover times of one rotating file. */
export class RolloverSchedule {
  /** Epoch seconds of the next rollover. */
  rolloverAt: number;
  /** Seconds in a period: the rule's unit times the interval. */
  readonly seconds: number;

  /**
   * @param interval how many units of the rule make a period (at least 1).
   * @param start epoch seconds the current file began: its mtime, else now.
   */
  constructor(
    readonly rule: RolloverRule,
    private readonly interval: number,
    readonly utc: boolean,
    start: number,
  ) {
    this.seconds = rule.unit * interval;
    this.rolloverAt = this.next(start);
  }

  /** The schedule of a rotating file: its current period began at its mtime, else now. */
  static forFile(
    rule: RolloverRule,
    interval: number,
    utc: boolean,
    filename: string,
  ): RolloverSchedule {
    let start = Date.now();
    try {
      start = statSync(filename).mtimeMs;
    } catch {
      // A new file: the first period starts now.
    }
    return new RolloverSchedule(rule, interval, utc, Math.floor(start / 1000));
  }

  /** Whether the period is over at `now` (epoch seconds). */
  due(now: number): boolean {
    return now >= this.rolloverAt;
  }

  /**
   * Starts the next period at `now`, once {@link due}. Returns the epoch seconds the ended
   * period is named after: one interval before the rollover that ended it, in calendar days
   * for midnight rules (a day across a DST change is 23 or 25 hours long).
   */
  advance(now: number): number {
    let began = this.rolloverAt - this.seconds;
    if (this.rule.midnight) {
      const { y, m, d } = dateOf(this.rolloverAt, this.utc);
      began = dayStart(y, m, d - (this.rule.unit / DAY) * this.interval, this.utc);
    }
    this.rolloverAt = this.next(now);
    return began;
  }

  /**
   * The rollover after `now`. As Python's: a fixed interval counts from `now`; MIDNIGHT is
   * the next midnight, whatever the interval; W0-W6 the midnight that ends that weekday.
   */
  private next(now: number): number {
    if (!this.rule.midnight) return now + this.seconds;
    const { y, m, d, wd } = dateOf(now, this.utc);
    const target = this.rule.weekday;
    let wait = 0;
    if (target !== null && wd !== target) wait = wd < target ? target - wd : 6 - wd + target + 1;
    return dayStart(y, m, d + 1 + wait, this.utc);
  }
}
