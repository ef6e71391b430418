import { constants } from "node:os";

const SIGNALS = constants.signals as Record<string, number>;

/**
 * A signal number from a name or number as Circus accepts them: case-insensitive, with or
 * without `SIG` (`quit`, `INT`, `SIGTERM`, `3`). Returns null when it names no signal.
 */
export function parseSignal(value: string | number): number | null {
  if (typeof value === "number") return Number.isInteger(value) && value > 0 ? value : null;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n > 0 && n < 65 ? n : null;
  }
  const upper = text.toUpperCase();
  const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
  return SIGNALS[name] ?? null;
}

/** `SIGTERM` for 15; the number as a string when no name is known. */
export function signalName(signum: number): string {
  for (const [name, n] of Object.entries(SIGNALS)) if (n === signum) return name;
  return String(signum);
}

/** Sends a signal to a pid; false when there is no such process (or it may not be signalled). */
export function sendSignalTo(pid: number, signum: number): boolean {
  try {
    process.kill(pid, signum);
    return true;
  } catch {
    return false;
  }
}
