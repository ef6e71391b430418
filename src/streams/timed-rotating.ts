/**
 * TimedRotatingFileStream: a new file at fixed times (every N seconds, minutes, hours, days,
 * at midnight or on a weekday), rotated files named by the time they began, as Python's
 * TimedRotatingFileHandler and Circus's stream of the same name do.
 */
import { renameSync, rmSync } from "node:fs";
import { staleDatedBackups } from "../python/backups.js";
import { RolloverSchedule, rolloverRule, type RolloverRule } from "../python/rollover.js";
import { compileStrftime } from "../python/strftime.js";
import { FileStream, FileStreamBase } from "./file-stream.js";
import { StreamOptions } from "./options.js";
import { StreamOptionError } from "./types.js";

/** Circus's backup names for each unit: a date suffix, and the pattern it makes. */
const SUFFIXES: Record<string, { suffix: string; pattern: RegExp }> = {
  S: { suffix: "%Y%m%d%H%M%S", pattern: /^\d{14}$/ },
  M: { suffix: "%Y%m%d%H%M", pattern: /^\d{12}$/ },
  H: { suffix: "%Y%m%d%H", pattern: /^\d{10}$/ },
};
const DAILY = { suffix: "%Y%m%d", pattern: /^\d{8}$/ };

/** The rule of a `rotate_when` value; a StreamOptionError when it is none of Circus's. */
export function rotationRule(when: string): RolloverRule {
  const rule = rolloverRule(when);
  if (rule === null) {
    throw new StreamOptionError(
      "rotate_when",
      `expected S, M, H, D, W0-W6 or midnight, got ${JSON.stringify(when)}`,
    );
  }
  return rule;
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
  private readonly schedule: RolloverSchedule;
  private readonly suffix: (date: Date, utc?: boolean) => string;
  private readonly pattern: RegExp;

  constructor(options: Record<string, string>) {
    const opts = new StreamOptions(options);
    const rule = rotationRule(opts.string("rotate_when") ?? "H");
    const interval = opts.integer("rotate_interval", 1, 1);
    // Size rotation is FileStream's; a timed stream rotates on time only.
    super({ ...options, max_bytes: "0" });
    this.utc = opts.bool("utc", false);
    const { suffix, pattern } = SUFFIXES[rule.when] ?? DAILY;
    this.suffix = compileStrftime(suffix);
    this.pattern = pattern;
    this.schedule = RolloverSchedule.forFile(rule, interval, this.utc, this.filename);
  }

  protected override append(bytes: Buffer, lent: boolean): Promise<void> | boolean {
    const now = Math.floor(Date.now() / 1000);
    if (this.schedule.due(now)) {
      const began = this.schedule.advance(now);
      this.appender.schedule(() => this.rotate(began));
      this.size = 0;
    }
    return super.append(bytes, lent);
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
    for (const old of staleDatedBackups(this.filename, this.pattern, this.backupCount))
      rmSync(old, { force: true });
  }
}
