/** Python's `logging.handlers.TimedRotatingFileHandler`, on the shared rollover schedule. */
import { existsSync, renameSync, unlinkSync } from "node:fs";
import { staleDatedBackups } from "../python/backups.js";
import { RolloverSchedule, rolloverRule } from "../python/rollover.js";
import { strftime } from "../python/strftime.js";
import type { LogRecord } from "./record.js";
import { FileHandler } from "./handlers.js";

const DAILY = { suffix: "%Y-%m-%d", extMatch: /^\d{4}-\d{2}-\d{2}(\.\w+)?$/ };

/** Python's backup names for each unit of `when`: a date suffix, and the pattern it makes. */
const SUFFIXES: Record<string, { suffix: string; extMatch: RegExp }> = {
  S: { suffix: "%Y-%m-%d_%H-%M-%S", extMatch: /^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}(\.\w+)?$/ },
  M: { suffix: "%Y-%m-%d_%H-%M", extMatch: /^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}(\.\w+)?$/ },
  H: { suffix: "%Y-%m-%d_%H", extMatch: /^\d{4}-\d{2}-\d{2}_\d{2}(\.\w+)?$/ },
};

/** A new file every interval (or at midnight), the old one renamed for its first moment. */
export class TimedRotatingFileHandler extends FileHandler {
  readonly when: string;
  private readonly suffix: string;
  private readonly extMatch: RegExp;
  private readonly schedule: RolloverSchedule;

  /** Throws an Error for a bad `when`, before creating the file. */
  constructor(
    filename: string,
    when = "h",
    interval = 1,
    readonly backupCount = 0,
    delay = false,
    readonly utc = false,
  ) {
    const rule = rolloverRule(when);
    if (rule === null) {
      throw new Error(
        /^w/i.test(when)
          ? `weekly rollover needs a day from 0 to 6 (0 is Monday), as W0; got ${JSON.stringify(when)}`
          : `expected S, M, H, D, MIDNIGHT or W0-W6, got ${JSON.stringify(when)}`,
      );
    }
    super(filename, "a", delay);
    this.when = rule.when;
    ({ suffix: this.suffix, extMatch: this.extMatch } = SUFFIXES[rule.when] ?? DAILY);
    this.schedule = RolloverSchedule.forFile(rule, interval, utc, this.filename);
  }

  doRollover(): void {
    this.closeFile();
    const began = this.schedule.advance(Math.floor(Date.now() / 1000));
    const dfn = `${this.filename}.${strftime(this.suffix, new Date(began * 1000), this.utc)}`;
    if (existsSync(dfn)) unlinkSync(dfn);
    if (existsSync(this.filename)) renameSync(this.filename, dfn);
    if (this.backupCount > 0)
      for (const old of staleDatedBackups(this.filename, this.extMatch, this.backupCount))
        unlinkSync(old);
    if (!this.delay) this.open();
  }

  protected override emit(record: LogRecord): void {
    if (this.schedule.due(Math.floor(Date.now() / 1000))) this.doRollover();
    super.emit(record);
  }
}
