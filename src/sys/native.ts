import { createRequire } from "node:module";

/** stdio of a child: a pipe to circusd, /dev/null, or circusd's own. */
export type StdioMode = "pipe" | "null" | "inherit";

/** What the native spawner takes (see native/spawn.c). */
export interface NativeSpawnOptions {
  file: string;
  argv: string[];
  /** `KEY=value` strings. */
  env: string[];
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Supplementary groups, set when given: all of them, or spawn throws (past NGROUPS_MAX). */
  groups?: number[];
  /** [name, value]; value -1 is unlimited. An unknown or repeated name makes spawn throw. */
  rlimits?: [string, number][];
  umask?: number;
  stdin: StdioMode;
  stdout: StdioMode;
  stderr: StdioMode;
  /**
   * [fd in the child, fd in circusd]: extra fds the child inherits at chosen numbers, all of
   * them; a child fd given twice or past the child's RLIMIT_NOFILE makes spawn throw.
   */
  fds?: [number, number][];
}

/** A started child: its pid and the read ends of its piped stdout and stderr (-1: none). */
export interface NativeChild {
  pid: number;
  stdout: number;
  stderr: number;
}

/** What the native socket binder takes (see native/sockets.c). */
export interface NativeSocketOptions {
  family: "AF_INET" | "AF_INET6" | "AF_UNIX";
  type: "SOCK_STREAM" | "SOCK_DGRAM" | "SOCK_SEQPACKET";
  /** A numeric address (resolved in JS) for AF_INET and AF_INET6. */
  address?: string;
  port?: number;
  /** The file of an AF_UNIX socket. */
  path?: string;
  /** Applied around bind only, so it shapes the unix socket file's mode. */
  umask?: number;
  /** Unlink an existing unix socket file instead of failing. */
  replace?: boolean;
  /** SO_BINDTODEVICE. */
  interface?: string;
  reuseport?: boolean;
  backlog?: number;
  blocking?: boolean;
  /** Bind without listen (a stream socket only holding its address). */
  nolisten?: boolean;
}

interface NativeModule {
  /** A bound (and, for stream and seqpacket, listening) CLOEXEC socket and its real port. */
  bindSocket(options: NativeSocketOptions): { fd: number; port: number };
  spawn(options: NativeSpawnOptions): NativeChild;
  /** For each pid that has exited: [pid, exit code or -1, signal or 0]. Never blocks. */
  reap(pids: Int32Array): [number, number, number][];
  /**
   * Calls back once (with the fd) when one of the fds, however many, is readable; never
   * accepts.
   */
  watchReadable(fds: number[], callback: (fd: number) => void): object;
  /** Stops a watchReadable: no callback after it returns. */
  unwatch(handle: object): void;
  /** Counts, in a thread, the 10 ms ticks at which each fd had a connection waiting. */
  countHits(fds: Int32Array): object;
  /** The counts per fd since the previous take (reset to 0). */
  takeHits(handle: object): number[];
  /** Stops a countHits thread; idempotent. */
  stopHits(handle: object): void;
  /** A CLOEXEC, non-blocking socket connected to a local (syslog) unix socket: DGRAM, else STREAM. */
  unixDgramOpen(path: string): number;
  /** Sends without blocking; throws an Error with errno (EAGAIN when the receiver is full). */
  unixDgramSend(fd: number, data: Buffer): number;
  /** A CLOEXEC, non-blocking datagram socket bound at path, receiving senders' credentials. */
  unixDgramBind(path: string): number;
  /** The next datagram, its sender's pid (0: unknown) and uid (-1), or null when none waits. */
  unixDgramReceive(fd: number): [number, number, Buffer] | null;
  /**
   * The pid of a child that has exited and waits to be reaped (left unreaped), or 0: which
   * of the children to reap, without asking each.
   */
  exitedChild(): number;
  /** A CLOEXEC pipe, [read end, write end]; throws an Error with errno (EMFILE). */
  pipe(): [number, number];
  /** F_SETPIPE_SZ: the pipe's new capacity, or -1 when the kernel refuses. */
  setPipeSize(fd: number, bytes: number): number;
  /**
   * `src` with `prefix` at the start of every line (its first only when `atStart`) into `out`:
   * the bytes written, or minus the bytes needed when `out` is too small (nothing written).
   */
  prefixLines(src: Uint8Array, prefix: Uint8Array, atStart: boolean, out: Uint8Array): number;
  /**
   * prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants are reparented to this process rather
   * than to init. Throws an Error with errno when the kernel refuses.
   */
  setChildSubreaper(): void;
  /** Whether this process is a child subreaper (PR_GET_CHILD_SUBREAPER). */
  isChildSubreaper(): boolean;
}

let loaded: NativeModule | null = null;

/** The native helper, built by `npm install` (node-gyp) into build/Release. */
export function native(): NativeModule {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  try {
    loaded = require("../../build/Release/circus_native.node") as NativeModule;
  } catch (error) {
    throw new Error(
      `the native helper build/Release/circus_native.node is missing or broken (${(error as Error).message}); ` +
        "install a C compiler, make and python3, then run `npm rebuild`",
    );
  }
  return loaded;
}
