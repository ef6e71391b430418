/**
 * What an output stream is: the sink a watcher's stdout or stderr goes to. Circus calls a
 * stream with `{pid, name, data}`; ours get the same, through `write`.
 */

/** One piece of a process's output, as a stream receives it. */
export interface StreamData {
  pid: number;
  /** Which pipe: `stdout` or `stderr` (Circus's `name`). */
  name: "stdout" | "stderr";
  /** Bytes as the child wrote them; whole lines unless a line outgrew the redirector's cap. */
  data: Buffer;
  /** The watcher the process belongs to. */
  watcher: string;
  /**
   * Epoch ms at which it was written, when not now: output the process kernel kept while
   * circusd was away keeps its own time.
   */
  time?: number;
}

/**
 * A stream instance. `write` may return a promise: the child's pipe is not read again until
 * it settles, which is how a slow sink slows the child instead of growing the daemon.
 */
export interface OutputStream {
  write(data: StreamData): void | Promise<void>;
  /**
   * Resolves once everything it was given is written (where it writes at all): output the
   * process kernel hosts is acknowledged only then, so that a circusd killed meanwhile loses
   * none of it.
   */
  flushed?(): Promise<void>;
  /** Called when the watcher starts again after a stop closed the stream. */
  open?(): void | Promise<void>;
  /** Called when the watcher stops, once its processes' output has been written. */
  close?(): void | Promise<void>;
}

/**
 * A stream of this package that can also take bytes it is only lent (a read buffer that takes
 * the next read once the call returns), so that a read written to its file at once is never
 * copied and its buffer serves again.
 */
export interface LendingStream extends OutputStream {
  /**
   * Like `write`. When `lent`, the stream keeps a copy of whatever it keeps. Returns a promise
   * when the pipe should wait, else whether the stream kept `data.data` itself (never when lent).
   */
  [take](data: StreamData, lent: boolean): Promise<void> | boolean;
}

/** The method of a {@link LendingStream} (a symbol: no user's stream has it by chance). */
export const take = Symbol("take");

export function isLending(stream: OutputStream): stream is LendingStream {
  return typeof (stream as Partial<LendingStream>)[take] === "function";
}

/**
 * A stream class: constructed with the `*_stream.*` options other than `class`, as strings.
 * `options`, when a class declares it, lists the keys it reads: circusd warns about any other
 * (a likely typo), which the class would ignore. A class without it gets every key unchecked.
 */
export type OutputStreamClass = (new (options: Record<string, string>) => OutputStream) & {
  readonly options?: readonly string[];
};

/** A stream option that cannot be used; `option` is the key without the `stdout_stream.` part. */
export class StreamOptionError extends Error {
  override name = "StreamOptionError";
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}
