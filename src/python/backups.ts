/**
 * The backup files of Python's rotating log handlers, which Circus's file streams copy:
 * numbered ones (`app.log.1`, `app.log.2`, ...) and dated ones (`app.log.2026-11-23`).
 */
import { existsSync, readdirSync, renameSync } from "node:fs";
import path from "node:path";

/**
 * `app.log.N-1` -> `app.log.N` ... `app.log` -> `app.log.1`, as RotatingFileHandler.doRollover
 * does: the oldest backup beyond `count` is overwritten, a missing one skipped.
 */
export function shiftNumberedBackups(filename: string, count: number): void {
  for (let i = count - 1; i >= 1; i--) {
    const from = `${filename}.${i}`;
    if (existsSync(from)) renameSync(from, `${filename}.${i + 1}`);
  }
  if (existsSync(filename)) renameSync(filename, `${filename}.1`);
}

/**
 * The dated backups of `filename` beyond the newest `keep` (oldest first), as
 * TimedRotatingFileHandler.getFilesToDelete finds them: `filename.` then a suffix that
 * `suffix` matches; names sort in time order.
 */
export function staleDatedBackups(filename: string, suffix: RegExp, keep: number): string[] {
  const dir = path.dirname(filename);
  const prefix = `${path.basename(filename)}.`;
  const found = readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && suffix.test(f.slice(prefix.length)))
    .sort();
  return found.slice(0, Math.max(0, found.length - keep)).map((f) => path.join(dir, f));
}
