/** A synchronous write of a whole text, also to a non-blocking fd such as a full pipe. */
import { writeSync } from "node:fs";
import { constants as osConstants } from "node:os";

const EAGAIN = osConstants.errno.EAGAIN;

/** Never notified: Atomics.wait on it just sleeps. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** A short wait without leaving the call (for a full pipe). */
function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Writes the whole text to fd before returning, waiting a little (at most ~100 ms) when a
 * non-blocking fd (a pipe) is full; throws the write's error otherwise. Returns the bytes
 * written (the text's UTF-8 length).
 */
export function writeAllSync(fd: number, text: string): number {
  let data = Buffer.from(text, "utf8");
  const length = data.length;
  let waits = 0;
  while (data.length > 0) {
    try {
      const n = writeSync(fd, data);
      data = data.subarray(n);
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).errno === -EAGAIN ||
        (error as NodeJS.ErrnoException).code === "EAGAIN"
      ) {
        if (++waits > 100) throw error;
        pause(1);
        continue;
      }
      throw error;
    }
  }
  return length;
}
