/**
 * StdoutStream and FancyStdoutStream: a watcher's output on circusd's own stdout, raw or as
 * colored lines with a time stamp, the watcher's name and the pid.
 */
import { compileStrftime } from "../python/strftime.js";
import { FileAppender } from "./file-appender.js";
import { LinePrefixer } from "./line-prefix.js";
import { StreamOptions } from "./options.js";
import type { OutputStream, StreamData } from "./types.js";

/** The child's bytes on circusd's stdout, as written (whole lines, never interleaved). */
export class StdoutStream implements OutputStream {
  static readonly options: readonly string[] = [];
  protected readonly appender: FileAppender;

  /** @param fd circusd's fd to write to (its stdout, or its stderr for StderrStream). */
  constructor(_options: Record<string, string> = {}, fd = 1) {
    this.appender = new FileAppender(null, { fd });
  }

  write(data: StreamData): Promise<void> | undefined {
    return this.appender.append(data.data);
  }

  flushed(): Promise<void> {
    return this.appender.flushed();
  }

  close(): Promise<void> {
    return this.appender.flushed();
  }
}

/**
 * The child's bytes on circusd's stderr (beyond Circus, whose StdoutStream takes both pipes):
 * with `[circus] debug`, a plugin's stderr goes there.
 */
export class StderrStream extends StdoutStream {
  constructor(options: Record<string, string> = {}) {
    super(options, 2);
  }
}

/** ANSI colors in the order of their escape codes (31 red ... 37 white), as Circus lists them. */
export const COLORS = ["red", "green", "yellow", "blue", "magenta", "cyan", "white"] as const;

const RESET = "\x1b[0m";
const NEWLINE = 10;

/**
 * Each line as `<time> <watcher>[<pid>] | <line>` in the stream's color (a random one when
 * none or an unknown one is given, as Circus does), on circusd's stdout.
 */
export class FancyStdoutStream extends StdoutStream {
  static override readonly options: readonly string[] = ["color", "time_format"];
  readonly color: (typeof COLORS)[number];
  private readonly prefixer: LinePrefixer;

  constructor(options: Record<string, string> = {}) {
    super(options);
    const opts = new StreamOptions(options);
    const asked = opts.string("color")?.toLowerCase();
    const known = COLORS.find((c) => c === asked);
    this.color = known ?? COLORS[Math.floor(Math.random() * COLORS.length)] ?? "white";
    const code = COLORS.indexOf(this.color) + 1;
    const stamp = compileStrftime(opts.string("time_format") ?? "%Y-%m-%d %H:%M:%S");
    this.prefixer = new LinePrefixer(
      (d) =>
        `\x1b[0;3${code};40m${stamp(new Date(d.time ?? Date.now()))} ${d.watcher}[${d.pid}] | `,
    );
  }

  override write(data: StreamData): Promise<void> | undefined {
    const colored = this.prefixer.apply(data);
    // Every line ends its color before the newline, so that a terminal is never left colored.
    const parts: Buffer[] = [];
    let pos = 0;
    const reset = Buffer.from(RESET);
    while (pos < colored.length) {
      const end = colored.indexOf(NEWLINE, pos);
      if (end < 0) {
        parts.push(colored.subarray(pos), reset);
        break;
      }
      parts.push(colored.subarray(pos, end), reset, colored.subarray(end, end + 1));
      pos = end + 1;
    }
    return this.appender.append(Buffer.concat(parts));
  }
}
