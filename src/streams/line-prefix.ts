/**
 * Per-line prefixes (a time stamp, a pid) for streams that write lines: Circus's
 * `time_format`. Output reaches a stream in pieces that may end mid-line, so whether the next
 * piece starts a line is remembered per process and pipe.
 */
import type { StreamData } from "./types.js";

const NEWLINE = 10;
/** Pipes remembered as mid-line; past this the memory is dropped (a prefix may then repeat). */
const MAX_REMEMBERED = 4096;

/** Builds the prefix of the lines of one piece (called once per piece, not per line). */
export type PrefixFor = (data: StreamData) => string;

/** Adds `prefixFor(data)` at the start of every line of the data it is given. */
export class LinePrefixer {
  /** `pid:name` of the pipes whose last piece ended mid-line. */
  private readonly midLine = new Set<string>();

  constructor(private readonly prefixFor: PrefixFor) {}

  apply(data: StreamData): Buffer {
    const bytes = data.data;
    const key = `${data.pid}:${data.name}`;
    let atStart = !this.midLine.has(key);
    const prefix = Buffer.from(this.prefixFor(data));
    const parts: Buffer[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      if (atStart) parts.push(prefix);
      const end = bytes.indexOf(NEWLINE, pos);
      if (end < 0) {
        parts.push(bytes.subarray(pos));
        atStart = false;
        break;
      }
      parts.push(bytes.subarray(pos, end + 1));
      pos = end + 1;
      atStart = true;
    }
    if (atStart) this.midLine.delete(key);
    else {
      if (this.midLine.size >= MAX_REMEMBERED) this.midLine.clear();
      this.midLine.add(key);
    }
    return Buffer.concat(parts);
  }
}
