/**
 * The shell's history, kept across sessions in ~/.circusctl_history: one command a line,
 * oldest first, at most {@link HISTORY_SIZE} lines. Failing to read or write it never
 * stops the shell.
 */
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const HISTORY_SIZE = 1000;

export function historyPath(): string {
  return path.join(os.homedir(), ".circusctl_history");
}

/** The saved history, newest first (readline's order). */
export function loadHistory(file = historyPath()): string[] {
  try {
    const lines = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "");
    return lines.slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

/** Saves readline's history (newest first) as the file's lines, oldest first. */
export function saveHistory(history: readonly string[], file = historyPath()): void {
  try {
    const lines = history.slice(0, HISTORY_SIZE).reverse();
    // Private: commands may name secrets (env values given to `set`).
    writeFileSync(file, lines.length > 0 ? lines.join("\n") + "\n" : "", { mode: 0o600 });
  } catch {
    // a read-only home is no reason to fail a command
  }
}
