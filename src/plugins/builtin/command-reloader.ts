/**
 * Circus's `circus.plugins.command_reloader.CommandReloader`: every `loop_rate` seconds,
 * restarts a watcher whose command file changed, that is whose resolved path (a symlink
 * pointed elsewhere) or modification time differs from the last look.
 */
import { realpathSync, statSync } from "node:fs";
import { shlexSplit } from "../../core/shlex.js";
import { logger } from "../../log/logger.js";
import { resolveProgram } from "../../sys/spawn.js";
import { readOptions } from "../options.js";
import { CircusPlugin } from "../plugin.js";

/** A command file as last seen. */
interface CmdFile {
  path: string;
  mtime: number;
}

const OPTIONS = {
  // The reference reads an int; a fraction is accepted here (tests, quick development loops).
  loop_rate: { type: "number", default: "1", above: 0 },
} as const;

/**
 * The file a watcher's `cmd` runs: the whole `cmd` when it names a file (as the reference
 * takes it), else its first word looked up as execvp would, with symlinks resolved.
 */
function commandFile(cmd: string, cwd: string, searchPath = process.env.PATH ?? ""): string {
  let program = cmd;
  try {
    if (!statSync(cmd).isFile()) throw new Error("not a file");
  } catch {
    program = shlexSplit(cmd)[0] ?? cmd;
  }
  return realpathSync(resolveProgram(program, cwd, searchPath));
}

/** Restarts watchers whose command file changed. */
export class CommandReloader extends CircusPlugin {
  /** The documented options and their defaults. */
  static readonly options = OPTIONS;

  override name = "command_reloader";
  readonly loopRate = readOptions(OPTIONS, this.config).loop_rate;
  /** The command file of each watcher, as last seen. */
  private readonly cmdFiles = new Map<string, CmdFile>();

  override handleInit(): void {
    this.every(this.loopRate, () => this.lookAfter());
  }

  /** Events are not needed: the loop asks circusd. */
  override handleRecv(): void {}

  /** Whether the file changed since the last look (never on the first look). */
  isModified(watcher: string, current: CmdFile): boolean {
    const last = this.cmdFiles.get(watcher);
    return last !== undefined && (last.mtime !== current.mtime || last.path !== current.path);
  }

  /** One look at every watcher's command file (plugins' own watchers aside). */
  async lookAfter(): Promise<void> {
    const reply = await this.call("list");
    if (reply.status !== "ok") throw new Error(`list: ${String(reply.reason)}`);
    const watchers = (reply.watchers as string[]).filter((w) => !w.startsWith("plugin:"));
    for (const watcher of this.cmdFiles.keys())
      if (!watchers.includes(watcher)) this.cmdFiles.delete(watcher);
    for (const watcher of watchers) {
      const current = await this.look(watcher);
      if (current === null) continue;
      if (logger.enabled("debug")) logger.debug(`${watcher}: looked at ${current.path}`);
      const modified = this.isModified(watcher, current);
      // Recorded first: a restart that fails or times out is not tried again every loop.
      this.cmdFiles.set(watcher, current);
      if (modified) {
        logger.info(`${current.path} modified. Restarting.`);
        await this.call("restart", { name: watcher });
      }
    }
  }

  /**
   * A watcher's command file now, or null when it cannot be found: what was last seen is
   * kept, so that a file replaced by a deployment (gone for a moment) still counts as changed.
   */
  private async look(watcher: string): Promise<CmdFile | null> {
    const reply = await this.call("get", { name: watcher, keys: ["cmd", "working_dir"] });
    if (reply.status !== "ok") return null; // removed meanwhile
    const options = reply.options as { cmd?: unknown; working_dir?: unknown };
    const cwd = typeof options.working_dir === "string" ? options.working_dir : process.cwd();
    try {
      const file = commandFile(String(options.cmd), cwd);
      return { path: file, mtime: statSync(file).mtimeMs };
    } catch (error) {
      logger.debug(`${watcher}: no command file to look at: ${(error as Error).message}`);
      return null;
    }
  }
}
