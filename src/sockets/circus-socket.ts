import { ConfigError, sourceLocation } from "../config/errors.js";
import type { SocketConfig } from "../config/types.js";
import { bindSocket, closeFd, removeFile, resolveHost } from "../sys/sockets.js";

/** One socket as `listsockets` reports it, with Circus's keys. */
export interface SocketInfo {
  fd: number;
  name: string;
  backlog: number;
  host?: string;
  port?: number;
  path?: string;
  /**
   * Held by the process kernel (`use_papa`): `fd` is the kernel's, not circusd's, and the
   * socket's hits are not counted. Only present then (an addition to Circus's keys).
   */
  papa?: true;
}

/** The option of the section a bind error is about, so the one-line error names it. */
function optionOf(config: SocketConfig, error: NodeJS.ErrnoException): string {
  if (error.syscall === "setsockopt SO_BINDTODEVICE") return "interface";
  if (error.syscall === "setsockopt SO_REUSEPORT") return "so_reuseport";
  if (error.syscall === "listen") return "backlog";
  if (config.family === "AF_UNIX") return "path";
  if (error.syscall === "getaddrinfo" || error.code === "EADDRNOTAVAIL") return "host";
  return error.code === "EAFNOSUPPORT" ? "family" : "port";
}

/**
 * A `[socket:NAME]` bound by circusd and handed to the watchers that use it. The fd stays
 * CLOEXEC in circusd: only the children it is given to at spawn see it.
 */
export class CircusSocket {
  readonly name: string;
  readonly config: SocketConfig;
  /** The bound fd; -1 before bind and after close. */
  fd = -1;
  /** The port actually bound (port 0 asks the kernel for one); 0 for a unix socket. */
  port = 0;
  /** The numeric address bound, kept for the so_reuseport siblings. */
  private address = "";

  constructor(config: SocketConfig) {
    this.name = config.name;
    this.config = config;
  }

  /**
   * Binds (and listens for stream and seqpacket types).
   *
   * @throws ConfigError naming the section and the option at fault.
   */
  async bind(): Promise<void> {
    const c = this.config;
    const where = (option: string) => sourceLocation(c.source, `socket:${c.name}`, option);
    if (c.type !== "SOCK_STREAM" && c.type !== "SOCK_DGRAM" && c.type !== "SOCK_SEQPACKET") {
      throw new ConfigError(`socket type ${c.type} is not supported`, where("type"));
    }
    try {
      const family = c.family;
      if (family !== "AF_UNIX") this.address = await resolveHost(c.host, family);
      const bound = bindSocket({
        family,
        type: c.type,
        ...(family === "AF_UNIX"
          ? { path: c.path ?? "", umask: c.umask ?? undefined, replace: c.replace }
          : { address: this.address, port: c.port }),
        interface: c.interface ?? undefined,
        reuseport: c.soReuseport,
        // With so_reuseport the workers get siblings that listen; this one only holds the
        // address (and the port 0 picked): listening, it would take a share of the
        // connections that nobody accepts.
        nolisten: this.hasSiblings(),
        backlog: c.backlog,
        blocking: c.blocking,
      });
      this.fd = bound.fd;
      this.port = bound.port;
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      const what =
        err.code === "EEXIST" && c.path
          ? `${c.path} already exists; set replace = true, or remove it if it is a stale socket file`
          : `cannot bind: ${err.message}`;
      throw new ConfigError(what, where(optionOf(c, err)), { cause: error });
    }
  }

  /** Whether each worker gets its own SO_REUSEPORT socket (inet stream sockets only). */
  hasSiblings(): boolean {
    return this.config.soReuseport && this.config.family !== "AF_UNIX";
  }

  /**
   * so_reuseport: a fresh socket bound to the same address and port, for one worker. The
   * caller closes it once the worker has it.
   *
   * @throws Error with code, errno and syscall when the bind fails.
   */
  bindSibling(): number {
    const c = this.config;
    if (c.family === "AF_UNIX") throw new Error("so_reuseport does not apply to unix sockets");
    // bind() refused the other types already.
    const type = c.type === "SOCK_DGRAM" || c.type === "SOCK_SEQPACKET" ? c.type : "SOCK_STREAM";
    return bindSocket({
      family: c.family,
      type,
      address: this.address,
      port: this.port,
      interface: c.interface ?? undefined,
      reuseport: true,
      backlog: c.backlog,
      blocking: c.blocking,
    }).fd;
  }

  /** Closes the fd and removes the unix socket file. */
  close(): void {
    if (this.fd < 0) return;
    closeFd(this.fd);
    this.fd = -1;
    if (this.config.family === "AF_UNIX" && this.config.path) removeFile(this.config.path);
  }

  /** What `listsockets` reports: host and port, or path for a unix socket. */
  info(): SocketInfo {
    const base = { fd: this.fd, name: this.name, backlog: this.config.backlog };
    if (this.config.family === "AF_UNIX") return { ...base, path: this.config.path ?? "" };
    return { ...base, host: this.config.host, port: this.port };
  }
}

/**
 * Binds every socket, in order; when one fails, closes the ones already bound (nothing
 * half-bound stays behind) and rethrows its error. `make` builds each (a socket of the
 * process kernel's for `use_papa`).
 */
export async function bindAll(
  configs: SocketConfig[],
  make: (config: SocketConfig) => CircusSocket = (config) => new CircusSocket(config),
): Promise<CircusSocket[]> {
  const bound: CircusSocket[] = [];
  try {
    for (const config of configs) {
      const socket = make(config);
      await socket.bind();
      bound.push(socket);
    }
  } catch (error) {
    for (const socket of bound) socket.close();
    throw error;
  }
  return bound;
}
