import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { notWorldWritable } from "../sys/files.js";

/** The pidfile names a circusd that is still alive, or cannot be written. */
export class PidfileError extends Error {
  override name = "PidfileError";
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to another user; it is alive all the same.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Writes our pid into the pidfile, refusing while the pid already in it is alive (another
 * circusd). A stale pidfile is taken over. With checkOnly, only the refusal is done.
 */
export function acquirePidfile(file: string, checkOnly = false): void {
  let text = "";
  try {
    text = readFileSync(file, "utf8").trim();
  } catch {
    // no pidfile yet
  }
  const pid = Number(text);
  if (text && Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
    throw new PidfileError(`pidfile ${file}: circusd is already running with pid ${pid}`);
  }
  if (checkOnly) return;
  try {
    // 0644 at most, even over an older file with looser permissions.
    writeFileSync(file, `${process.pid}\n`, { mode: 0o644 });
    notWorldWritable(file);
  } catch (error) {
    throw new PidfileError(`pidfile ${file}: ${(error as Error).message}`);
  }
}

/** Removes the pidfile if it still holds our pid. */
export function releasePidfile(file: string): void {
  try {
    if (readFileSync(file, "utf8").trim() === String(process.pid)) unlinkSync(file);
  } catch {
    // already gone
  }
}
