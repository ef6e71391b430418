/** A watcher's output streams built from its config, with errors that name the option. */
import { ConfigError, formatLocation } from "../config/errors.js";
import type { StreamConfig, WatcherConfig } from "../config/types.js";
import { logger } from "../log/logger.js";
import {
  createStream,
  Redirector,
  type OutputStreamClass,
  type PipeName,
  type OutputStream,
} from "../streams/index.js";
import { StreamOptionError } from "../streams/types.js";
import { fdBudget, type FdBudget } from "../sys/fd-budget.js";
import { native } from "../sys/native.js";
import { closeFd } from "../sys/sockets.js";
import { SpawnError } from "../sys/spawn.js";
import type { SharedPipes } from "./process.js";
import { watcherLocation } from "./watcher-setup.js";

const PIPES = ["stdout", "stderr"] as const;

function configOf(config: WatcherConfig, name: PipeName): StreamConfig | null {
  return name === "stdout" ? config.stdoutStream : config.stderrStream;
}

/** Closes a stream, quietly: a stream's own errors are its to report. */
async function closeQuietly(stream: OutputStream | null): Promise<void> {
  try {
    await stream?.close?.();
  } catch {
    // A user stream failing to close must not stop the watcher from stopping.
  }
}

/**
 * Creates the streams a watcher's config names for those pipes (files are opened now, so
 * that a bad path fails at startup). Throws a ConfigError naming `stdout_stream.OPTION`,
 * having closed what it created. An option the stream's class does not read is logged as a
 * warning naming the file, section and option.
 */
async function createStreams(
  config: WatcherConfig,
  pipes: readonly PipeName[],
): Promise<Map<PipeName, OutputStream | null>> {
  const streams = new Map<PipeName, OutputStream | null>();
  for (const name of pipes) {
    const spec = configOf(config, name);
    const warn = (option: string, message: string) =>
      logger.warning(formatLocation(watcherLocation(config, `${name}_stream.${option}`)) + message);
    try {
      streams.set(
        name,
        spec &&
          (await createStream(
            { class: spec.class as string | OutputStreamClass, options: spec.options },
            config.baseDir,
            warn,
          )),
      );
    } catch (error) {
      for (const stream of streams.values()) await closeQuietly(stream);
      if (!(error instanceof StreamOptionError)) throw error;
      throw new ConfigError(
        error.message,
        watcherLocation(config, `${name}_stream.${error.option}`),
      );
    }
  }
  return streams;
}

/** Whether two configs describe the same stream for that pipe (then it is kept as it is). */
function sameStream(a: WatcherConfig, b: WatcherConfig, name: PipeName): boolean {
  const [x, y] = [configOf(a, name), configOf(b, name)];
  if (x === null || y === null) return x === y;
  return x.class === y.class && JSON.stringify(x.options) === JSON.stringify(y.options);
}

/** Pipe fds in circusd per process with pipes of its own. */
const OWN_PIPES = 2;

/**
 * A watcher's output: the redirector of its processes' pipes, plus the life of its streams
 * (created from the config, closed when the watcher stops, reopened when it starts).
 */
export class WatcherOutput extends Redirector {
  private open = true;
  private sharedPipes: SharedPipes | null = null;

  constructor(
    watcher: string,
    private readonly budget: FdBudget = fdBudget,
  ) {
    super(watcher);
  }

  /**
   * The pipes the next process writes into: null for pipes of its own while circusd has files
   * to spare; near its open-files limit, one pipe per stream that the watcher's processes
   * share, so that thousands of processes do not need two files each in circusd. Their
   * output still reaches the streams, the ring and `logs`, lines whole up to PIPE_BUF (4096)
   * bytes per write, but attributed to pid 0: a shared pipe cannot tell who wrote.
   * Throws a SpawnError (EMFILE) when not even the shared pipes can be opened.
   */
  pipesFor(): SharedPipes | null {
    if (!this.budget.tight(OWN_PIPES)) return null;
    if (this.sharedPipes) return this.sharedPipes;
    const ends: number[] = [];
    try {
      for (const name of PIPES) {
        const [read, write] = native().pipe();
        ends.push(read, write);
        this.attach(0, name, read);
      }
    } catch (error) {
      // A read end already attached is closed by its reader once its write end is.
      for (let i = 1; i < ends.length; i += 2) closeFd(ends[i] as number);
      const err = error as NodeJS.ErrnoException;
      throw new SpawnError(`cannot open a pipe for the output: ${err.message}`, err.code);
    }
    this.sharedPipes = { stdout: ends[1] as number, stderr: ends[3] as number };
    logger.warning(
      `${this.watcher}: circusd has ${this.budget.left()} files left before its open-files ` +
        `limit (RLIMIT_NOFILE = ${this.budget.max}); new processes share one pipe per stream ` +
        `(their output is kept, attributed to pid 0)`,
    );
    return this.sharedPipes;
  }

  override attach(pid: number, name: PipeName, fd: number): void {
    this.budget.note(1);
    super.attach(pid, name, fd);
  }

  /** Closes circusd's write ends of the shared pipes: they end when their writers are gone. */
  private releaseShared(): void {
    const shared = this.sharedPipes;
    this.sharedPipes = null;
    if (!shared) return;
    closeFd(shared.stdout);
    closeFd(shared.stderr);
  }

  /** Creates the streams of `config`, replacing (and closing) any there were. */
  async load(config: WatcherConfig): Promise<void> {
    await this.replace(config, PIPES);
  }

  /** New streams for the pipes whose stream config differs between `current` and `next`. */
  async update(current: WatcherConfig, next: WatcherConfig): Promise<void> {
    const changed = PIPES.filter((name) => !sameStream(current, next, name));
    if (changed.length === 0) return;
    await this.replace(next, changed);
    if (!this.open) await this.reopen();
  }

  private async replace(config: WatcherConfig, pipes: readonly PipeName[]): Promise<void> {
    for (const [name, stream] of await createStreams(config, pipes))
      await closeQuietly(this.setStream(name, stream));
  }

  /** Opens the streams a stop closed. */
  async reopen(): Promise<void> {
    if (this.open) return;
    this.open = true;
    for (const name of PIPES) {
      try {
        await this.stream(name)?.open?.();
      } catch (error) {
        logger.error(`${this.watcher}: cannot reopen ${name}: ${(error as Error).message}`);
      }
    }
  }

  /** Reads what the processes wrote to the end, then flushes and closes the streams. */
  async close(): Promise<void> {
    this.releaseShared();
    await this.drain();
    this.open = false;
    for (const name of PIPES) await closeQuietly(this.stream(name));
  }
}
