/**
 * A real terminal for the tests of full-screen programs: a tmux server of the test's own
 * (its socket in a temp folder, `tmux -S`, so that a user's tmux is never touched and no
 * socket is left in /tmp/tmux-UID), one detached session of a given size running a command,
 * keys sent with `send-keys`, the screen read with `capture-pane`. The server is killed at
 * cleanup.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { makeTempDir, waitFor } from "./circusd.js";
import { defer } from "./cleanup.js";

const run = promisify(execFile);

/** Options of {@link Tmux.start}. */
export interface TmuxOptions {
  width?: number;
  height?: number;
}

/** One tmux session with one pane. */
export class Tmux {
  private constructor(private readonly socket: string) {}

  /**
   * Starts `shellCommand` (run by sh) in a new detached session. tmux sets the pane's TERM
   * itself: a command that needs another one sets it (`env TERM=dumb ...`).
   */
  static async start(shellCommand: string, options: TmuxOptions = {}): Promise<Tmux> {
    // The folder's cleanup also kills what carries its path: the server, should kill-server fail.
    const tmux = new Tmux(path.join(makeTempDir("circus-tmux-"), "tmux.sock"));
    defer(() => tmux.kill());
    const env: NodeJS.ProcessEnv = { ...process.env };
    // Inside a user's tmux, TMUX would make this one refuse to nest.
    delete env.TMUX;
    delete env.TMUX_PANE;
    await run(
      "tmux",
      [
        "-S",
        tmux.socket,
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-x",
        String(options.width ?? 120),
        "-y",
        String(options.height ?? 40),
        shellCommand,
      ],
      { env },
    );
    // The window follows the size given to resize-window, not that of a (missing) client.
    await tmux.tmux("set-option", "-g", "window-size", "manual");
    return tmux;
  }

  /** Runs a tmux command on this server; resolves with its stdout. */
  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run("tmux", ["-S", this.socket, ...args]);
    return stdout;
  }

  /** The screen as text, one string per row, trailing blanks trimmed (as tmux gives it). */
  async screen(): Promise<string[]> {
    return (await this.tmux("capture-pane", "-p")).replace(/\n$/, "").split("\n");
  }

  /** The screen with its SGR attributes as escape sequences (`capture-pane -e`). */
  async screenWithAttributes(): Promise<string> {
    return this.tmux("capture-pane", "-p", "-e");
  }

  /** Sends keys, as tmux names them ("q", "Enter", "Escape", "C-c") or literal text with -l. */
  async keys(...keys: string[]): Promise<void> {
    await this.tmux("send-keys", ...keys);
  }

  /** A tmux format of the pane (`#{alternate_on}`, `#{cursor_flag}`, ...). */
  async display(format: string): Promise<string> {
    return (await this.tmux("display-message", "-p", format)).trim();
  }

  async resize(width: number, height: number): Promise<void> {
    await this.tmux("resize-window", "-x", String(width), "-y", String(height));
  }

  /**
   * Polls the screen until `check` returns a truthy value, and returns it; on time out, the
   * error shows the last screen.
   */
  async waitForScreen<T>(
    what: string,
    check: (rows: string[]) => T,
    timeout = 20_000,
  ): Promise<NonNullable<T>> {
    let last: string[] = [];
    return waitFor(
      async () => {
        last = await this.screen();
        return check(last);
      },
      { timeout, interval: 100, message: () => `${what}; the screen:\n${last.join("\n")}` },
    );
  }

  async kill(): Promise<void> {
    await this.tmux("kill-server").catch(() => undefined);
  }
}
