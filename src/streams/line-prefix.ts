/**
 * Per-line prefixes (a time stamp, a pid) for streams that write lines: Circus's
 * `time_format`. Output reaches a stream in pieces that may end mid-line, so whether the next
 * piece starts a line is remembered per process and pipe.
 */
import { native } from "../sys/native.js";
import type { StreamData } from "./types.js";

const NEWLINE = 10;
/** Pipes remembered as mid-line; past this the memory is dropped (a prefix may then repeat). */
const MAX_REMEMBERED = 4096;

/** Builds the prefix of the lines of one piece (called once per piece, not per line). */
export type PrefixFor = (data: StreamData) => string;

/** The largest buffer a prefixer keeps for the next piece (a bigger one is made per piece). */
const MAX_SCRATCH = 1 << 20;

/** Adds `prefixFor(data)` at the start of every line of the data it is given. */
export class LinePrefixer {
  /** `pid:name` of the pipes whose last piece ended mid-line. */
  private readonly midLine = new Set<string>();
  /** Where {@link applyLent} writes, kept from piece to piece. */
  private scratch: Buffer | null = null;

  constructor(private readonly prefixFor: PrefixFor) {}

  /** The data with its lines prefixed, in a buffer of its own. */
  apply(data: StreamData): Buffer {
    return Buffer.from(this.applyLent(data));
  }

  /**
   * The data with its lines prefixed, in the prefixer's own buffer: valid until the next call
   * (whoever keeps it copies it). One pass in native code: at 100-byte lines, a search and two
   * copies per line in JS cost several times the write of the file.
   */
  applyLent(data: StreamData): Buffer {
    const bytes = data.data;
    if (bytes.length === 0) return bytes;
    const key = `${data.pid}:${data.name}`;
    const prefix = Buffer.from(this.prefixFor(data));
    const atStart = !this.midLine.has(key);
    let out = this.scratch ?? Buffer.allocUnsafeSlow(Math.min(MAX_SCRATCH, bytes.length * 2));
    let length = native().prefixLines(bytes, prefix, atStart, out);
    if (length < 0) {
      const needed = Math.max(-length, Math.min(MAX_SCRATCH, out.length * 2));
      out = Buffer.allocUnsafeSlow(needed);
      length = native().prefixLines(bytes, prefix, atStart, out);
    }
    if (out.length <= MAX_SCRATCH) this.scratch = out;
    if (bytes[bytes.length - 1] === NEWLINE) this.midLine.delete(key);
    else {
      if (this.midLine.size >= MAX_REMEMBERED) this.midLine.clear();
      this.midLine.add(key);
    }
    return out.subarray(0, length);
  }
}
