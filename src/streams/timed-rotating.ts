/**
 * TimedRotatingFileStream: a new file at fixed times (every N seconds, minutes, hours, days,
 * at midnight or on a weekday), rotated files named by the time they began, as Python's
 * TimedRotatingFileHandler and Circus's stream of the same name do.
 */
import { readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { compileStrftime } from "../log/strftime.js";
import { FileStream, FileStreamBase } from "./file-stream.js";
import { StreamOptions } from "./options.js";
import { StreamOptionError } from "./types.js";

const DAY = 24 * 60 * 60;

interface Rule {
  seconds: number;
  suffix: string;
  pattern: RegExp;
}

const SECOND: Rule = { seconds: 1, suffix: "%Y%m%d%H%M%S", pattern: /^\d{14}$/ };
const MINUTE: Rule = { seconds: 60, suffix: "%Y%m%d%H%M", pattern: /^\d{12}$/ };
const HOUR: Rule = { seconds: 3600, suffix: "%Y%m%d%H", pattern: /^\d{10}$/ };
const DAILY: Rule = { seconds: DAY, suffix: "%Y%m%d", pattern: /^\d{8}$/ };
const WEEKLY: Rule = { seconds: 7 * DAY, suffix: "%Y%m%d", pattern: /^\d{8}$/ };

/** The rule of a `rotate_when` value; a StreamOptionError when it is none of Circus's. */
export function rotationRule(when: string): Rule & { weekday: number | null; midnight: boolean } {
  const upper = when.toUpperCase();
  const fixed: Record<string, Rule> = { S: SECOND, M: MINUTE, H: HOUR, D: DAILY, MIDNIGHT: DAILY };
  const rule = fixed[upper];
  if (rule) return { ...rule, weekday: null, midnight: upper === "MIDNIGHT" };
  const weekly = /^W([0-6])$/.exec(upper);
  if (weekly) return { ...WEEKLY, weekday: Number(weekly[1]), midnight: true };
  throw new StreamOptionError(
    "rotate_when",
    `expected S, M, H, D, W0-W6 or midnight, got ${JSON.stringify(when)}`,
  );
}

/** Seconds since midnight and weekday (0 = Monday, as Python) of an epoch time. */
function clock(epoch: number, utc: boolean): { sinceMidnight: number; weekday: number } {
  const d = new Date(epoch * 1000);
  const [h, m, s, day] = utc
    ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCDay()]
    : [d.getHours(), d.getMinutes(), d.getSeconds(), d.getDay()];
  return { sinceMidnight: (h * 60 + m) * 60 + s, weekday: (day + 6) % 7 };
}

/**
 * Rotates `filename` every `rotate_interval` units of `rotate_when`, to
 * `filename.<time suffix>`, keeping the newest `backup_count` rotated files (all when 0).
 */
export class TimedRotatingFileStream extends FileStream {
  // Not max_bytes: as in Circus, a timed stream rotates on time only.
  static override readonly options: readonly string[] = [
    ...FileStreamBase.options,
    "backup_count",
    "rotate_when",
    "rotate_interval",
    "utc",
  ];
  readonly utc: boolean;
  private readonly rule: ReturnType<typeof rotationRule>;
  private readonly interval: number;
  private readonly suffix: (date: Date, utc?: boolean) => string;
  /** Epoch seconds of the next rotation. */
  private rolloverAt: number;

  constructor(options: Record<string, string>) {
    const opts = new StreamOptions(options);
    const rule = rotationRule(opts.string("rotate_when") ?? "H");
    const interval = rule.seconds * opts.integer("rotate_interval", 1, 1);
    // Size rotation is FileStream's; a timed stream rotates on time only.
    super({ ...options, max_bytes: "0" });
    this.rule = rule;
    this.interval = interval;
    this.utc = opts.bool("utc", false);
    this.suffix = compileStrftime(rule.suffix);
    let start = Date.now() / 1000;
    try {
      start = statSync(this.filename).mtimeMs / 1000;
    } catch {
      // A new file: the first period starts now.
    }
    this.rolloverAt = this.nextRollover(Math.floor(start));
  }

  protected override append(bytes: Buffer): Promise<void> | undefined {
    const now = Math.floor(Date.now() / 1000);
    if (now >= this.rolloverAt) {
      const began = this.rolloverAt - this.interval;
      this.appender.schedule(() => this.rotate(began));
      this.size = 0;
      let next = this.nextRollover(now);
      while (next <= now) next += this.interval;
      this.rolloverAt = next;
    }
    return super.append(bytes);
  }

  private nextRollover(now: number): number {
    if (!this.rule.midnight) return now + this.interval;
    const { sinceMidnight, weekday } = clock(now, this.utc);
    let next = now + DAY - sinceMidnight;
    const target = this.rule.weekday;
    // Python's arithmetic: the midnight that ends the configured weekday.
    if (target !== null) next += (weekday < target ? target - weekday : 7 - weekday + target) * DAY;
    return next;
  }

  private rotate(began: number): void {
    this.appender.closeSync();
    const target = `${this.filename}.${this.suffix(new Date(began * 1000), this.utc)}`;
    rmSync(target, { force: true });
    try {
      renameSync(this.filename, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (this.backupCount > 0) this.prune();
    this.appender.openSync("a");
  }

  /** Deletes the oldest rotated files beyond backup_count. */
  private prune(): void {
    const dir = path.dirname(this.filename);
    const prefix = `${path.basename(this.filename)}.`;
    const rotated = readdirSync(dir)
      .filter((f) => f.startsWith(prefix) && this.rule.pattern.test(f.slice(prefix.length)))
      .sort();
    for (const old of rotated.slice(0, Math.max(0, rotated.length - this.backupCount)))
      rmSync(path.join(dir, old), { force: true });
  }
}
