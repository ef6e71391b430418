/**
 * The terminal under circus-top, driven with plain ANSI sequences (a curses library would
 * bring a native build or a terminfo database for the few sequences used here): the
 * alternate screen, a hidden cursor, no automatic margins and raw keys while the console
 * runs, all of it undone on the way out.
 *
 * A frame is drawn from the top left over the previous one: each row is rewritten and the
 * rest of it erased, so that nothing is cleared between frames and nothing flickers. It is
 * written at once, between the marks of synchronized output (mode 2026), which the terminals
 * that know them use to show the frame whole, and the others ignore.
 */
import { lineWidth, type Line, type Style } from "./line.js";

const ESC = "\x1b[";

/** Entering: alternate screen, cursor hidden, autowrap off (a row never spills onto the next). */
const ENTER = `${ESC}?1049h${ESC}?25l${ESC}?7l${ESC}H${ESC}2J`;
/** Leaving, in the reverse order; the attributes reset first. */
const LEAVE = `${ESC}0m${ESC}?7h${ESC}?25h${ESC}?1049l`;

/** Synchronized output: begin and end of a frame. */
const BEGIN_FRAME = `${ESC}?2026h`;
const END_FRAME = `${ESC}?2026l`;

/** The SGR parameters of each style. */
const SGR: Record<Style, string> = {
  title: "1",
  rule: "2",
  watcher: "1;36",
  header: "1",
  warm: "33",
  hot: "1;31",
  alert: "1;33",
  status: "7",
  dim: "2",
};

/** The streams of the terminal (process.stdin and process.stdout by default). */
export interface TerminalStreams {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

/**
 * Whether to use colours and attributes: not when NO_COLOR is set to anything but the empty
 * string (no-color.org), nor on a dumb or unnamed terminal, nor when stdout is no terminal.
 */
export function colorsWanted(env: NodeJS.ProcessEnv, output: { isTTY?: boolean }): boolean {
  if (!output.isTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return env.TERM !== undefined && env.TERM !== "" && env.TERM !== "dumb";
}

/**
 * Turns rows into the bytes of one frame: from the top left, each row followed by an erase
 * to its end (or filled in its style), rows joined by CR LF.
 */
export function encodeFrame(lines: Line[], width: number, height: number, colors: boolean): string {
  let out = `${ESC}H`;
  lines.forEach((line, i) => {
    if (i > 0) out += "\r\n";
    for (const segment of line.segments) {
      out +=
        colors && segment.style
          ? `${ESC}${SGR[segment.style]}m${segment.text}${ESC}0m`
          : segment.text;
    }
    const left = width - lineWidth(line);
    if (left <= 0) return;
    if (colors && line.fill) out += `${ESC}${SGR[line.fill]}m${" ".repeat(left)}${ESC}0m`;
    else out += `${ESC}K`;
  });
  if (lines.length < height) out += `\r\n${ESC}J`;
  return out;
}

/** The console's terminal: enter, draw frames, leave. */
export class Terminal {
  private active = false;
  private lastFrame = "";
  private clearFirst = false;

  constructor(
    private readonly io: TerminalStreams,
    /** Whether frames carry colours and attributes (see {@link colorsWanted}). */
    readonly colors: boolean,
  ) {}

  /** The terminal's size now; 80x24 when it cannot tell. */
  get size(): { width: number; height: number } {
    return { width: this.io.output.columns || 80, height: this.io.output.rows || 24 };
  }

  /** Switches to the alternate screen and raw keys. */
  enter(): void {
    if (this.active) return;
    this.active = true;
    this.io.output.write(ENTER);
    // Keys come from a terminal only: a file or pipe on stdin is not read (Ctrl-C, a signal
    // then, still quits).
    if (this.io.input.isTTY) {
      this.io.input.setRawMode(true);
      this.io.input.resume();
    }
    this.lastFrame = "";
  }

  /**
   * Gives the terminal back as it was: cooked mode, cursor shown, main screen. Idempotent,
   * and synchronous (a TTY write is), so that it can run from an `exit` handler.
   */
  leave(): void {
    if (!this.active) return;
    this.active = false;
    if (this.io.input.isTTY) {
      this.io.input.setRawMode(false);
      this.io.input.pause();
    }
    this.io.output.write(LEAVE);
  }

  /** Draws a frame, unless it is the one already on screen. */
  draw(lines: Line[]): void {
    if (!this.active) return;
    const { width, height } = this.size;
    const frame = encodeFrame(lines, width, height, this.colors);
    if (frame === this.lastFrame && !this.clearFirst) return;
    const clear = this.clearFirst ? `${ESC}2J` : "";
    this.io.output.write(`${BEGIN_FRAME}${clear}${frame}${END_FRAME}`);
    this.lastFrame = frame;
    this.clearFirst = false;
  }

  /** Clears the screen before the next frame (Ctrl-L, when something else wrote on it). */
  repaint(): void {
    this.clearFirst = true;
  }
}
