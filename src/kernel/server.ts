/**
 * The process kernel (Papa): a small daemon that holds sockets, starts processes and keeps
 * their output and exit codes, and a key/value store, for a circusd that may come and go. It
 * never restarts or stops a process by itself and knows nothing of watchers: circusd, its one
 * owner at a time, decides everything. It exits once it hosts nothing and no circusd is
 * connected.
 */
import { chmodSync, rmSync } from "node:fs";
import net from "node:net";
import type { SocketConfig } from "../config/types.js";
import { CircusSocket } from "../sockets/circus-socket.js";
import { spawnChild } from "../sys/spawn.js";
import { loopbackPeerUid } from "../sys/tcp-peer.js";
import { HostedProcess, type Sink } from "./hosted.js";
import {
  FrameReader,
  line,
  type HeldSocket,
  type KernelAddress,
  type OutputEvent,
} from "./protocol.js";
import { spawnRequest, socketRequest, RequestError } from "./requests.js";

const HELP = `circus process kernel: one JSON request per line, e.g. {"id":1,"cmd":"list"}
  hello {client}                 become the owner (one circusd at a time)
  list                           hosted processes: pid, tag, started, exit, kept/dropped output
  sockets                        held sockets: name, fd, port, spec
  socket {name, spec}            bind a socket (or get the one held under that name)
  close_socket {name}            close a held socket
  spawn {argv, env, cwd, ...}    start a process; its output and exit go to the owner
  ack {pid, seq}                 output up to seq was handled (no reply unless refused)
  forget {pid}                   drop an ended process once its exit was handled
  kv_set {key, value}, kv_get {key}, kv_del {key}, kv_list
  ping, help
Events to the owner: {"event":"output",...,"len":N} + N bytes, {"event":"exit",...},
{"event":"log","time","line"}.
`;

/** Commands anyone of circusd's user may send; the others only the owner. */
const OPEN_COMMANDS = new Set(["hello", "help", "ping", "list", "sockets", "kv_get", "kv_list"]);

/** How long the kernel waits, hosting nothing and with no owner, before it exits (ms). */
const IDLE_EXIT_MS = 3000;
/** ...and when ended processes wait for a circusd to take their exit and output (ms). */
const UNSETTLED_EXIT_MS = 60_000;

/** Log lines kept while no circusd is connected, for the next one (the oldest go first). */
const LOG_KEPT = 200;

class Connection implements Sink {
  readonly reader: FrameReader;
  private turn: Promise<void> = Promise.resolve();

  constructor(
    readonly socket: net.Socket,
    private readonly kernel: Kernel,
  ) {
    this.reader = new FrameReader((frame) => {
      if (frame.kind === "text") {
        if (frame.text === "help") socket.write(HELP);
        else
          this.send({
            id: null,
            ok: false,
            error: `unknown ${JSON.stringify(frame.text.slice(0, 40))}: try help`,
          });
      } else if (frame.kind === "bad") {
        this.send({ id: null, ok: false, error: frame.error });
      } else {
        const message = frame.message;
        this.turn = this.turn.then(() => this.kernel.handle(this, message));
      }
    });
  }

  send(message: object): void {
    if (!this.socket.destroyed) this.socket.write(line(message));
  }

  output(header: OutputEvent, data: Buffer): void {
    if (this.socket.destroyed) return;
    this.socket.write(line(header));
    this.socket.write(data);
  }

  exit(p: HostedProcess): void {
    this.send({ event: "exit", pid: p.pid, exit: p.exit, dropped: p.dropped });
  }
}

export class Kernel {
  private readonly processes = new Map<number, HostedProcess>();
  private readonly sockets = new Map<string, CircusSocket>();
  private readonly kv = new Map<string, unknown>();
  private owner: Connection | null = null;
  private server: net.Server | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Log lines no circusd has read yet. */
  private readonly logKept: { time: number; line: string }[] = [];

  /**
   * @param address where it listens
   * @param onLog also called with each line (the kernel has no output of its own: its lines
   * go to circusd's log, through the owner's connection)
   */
  constructor(
    private readonly address: KernelAddress,
    private readonly onLog: (line: string) => void = () => {},
  ) {}

  /** A line for circusd's log: sent to the owner, or kept for the next one. */
  log(text: string): void {
    this.onLog(text);
    const entry = { time: Date.now() / 1000, line: text };
    if (this.owner) this.owner.send({ event: "log", ...entry });
    else {
      this.logKept.push(entry);
      if (this.logKept.length > LOG_KEPT) this.logKept.shift();
    }
  }

  /** Listens; a unix socket file is made readable and writable by its owner only. */
  async listen(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      if ("path" in this.address) {
        const path = this.address.path;
        const old = process.umask(0o177);
        server.listen(path, () => {
          process.umask(old);
          chmodSync(path, 0o600);
          resolve();
        });
      } else {
        server.listen(this.address.port, this.address.host, () => resolve());
      }
    });
    this.armIdle();
  }

  private accept(socket: net.Socket): void {
    if (!("path" in this.address)) {
      const uid = loopbackPeerUid(socket.localPort ?? 0, socket.remotePort ?? 0);
      if (uid !== process.getuid?.()) {
        this.log(`refused a connection from uid ${uid ?? "unknown"} (port ${socket.remotePort})`);
        socket.end(line({ id: null, ok: false, error: "only circusd's user may use this kernel" }));
        return;
      }
    }
    const connection = new Connection(socket, this);
    socket.on("data", (chunk) => {
      try {
        connection.reader.push(chunk);
      } catch (error) {
        connection.send({ id: null, ok: false, error: (error as Error).message });
        socket.destroy();
      }
    });
    socket.on("error", () => socket.destroy());
    socket.once("close", () => {
      if (this.owner !== connection) return;
      this.owner = null;
      this.log("circusd disconnected; output is kept until the next one");
      for (const p of this.processes.values()) p.attach(null);
      this.armIdle();
    });
  }

  /**
   * Runs one request and replies; a bad one gets an error and changes nothing. A connection's
   * requests run one after another, in order.
   */
  async handle(from: Connection, message: Record<string, unknown>): Promise<void> {
    const id = typeof message.id === "number" || typeof message.id === "string" ? message.id : null;
    try {
      const cmd = message.cmd;
      if (typeof cmd !== "string") throw new RequestError("cmd: a string is required");
      if (!OPEN_COMMANDS.has(cmd) && from !== this.owner)
        throw new RequestError(`${cmd}: say hello first (only the owner may change the kernel)`);
      const reply = await this.run(from, cmd, message);
      // An acknowledgement is answered only when refused: output would cost a reply a chunk.
      if (cmd !== "ack") from.send({ id, ok: true, ...reply });
      if (cmd === "hello") for (const p of this.processes.values()) p.attach(from);
    } catch (error) {
      const known = error instanceof RequestError || (error as Error).name === "SpawnError";
      if (!known) this.log(`${String(message.cmd)}: ${(error as Error).stack ?? error}`);
      from.send({ id, ok: false, error: (error as Error).message });
    }
  }

  private async run(from: Connection, cmd: string, m: Record<string, unknown>): Promise<object> {
    switch (cmd) {
      case "ping":
        return {};
      case "help":
        return { help: HELP };
      case "hello":
        return this.hello(from, m);
      case "list":
        return { processes: [...this.processes.values()].map((p) => p.info()) };
      case "sockets":
        return { sockets: [...this.sockets.values()].map(held) };
      case "socket":
        return { socket: await this.bindSocket(socketRequest(m)) };
      case "close_socket":
        return { closed: this.closeSocket(stringArg(m, "name")) };
      case "spawn":
        return this.spawn(m);
      case "ack":
        this.hosted(m).ack(intArg(m, "seq"));
        return {};
      case "forget":
        return { forgotten: this.forget(this.hosted(m)) };
      case "kv_set":
        this.kv.set(stringArg(m, "key"), m.value ?? null);
        return {};
      case "kv_get":
        return { value: this.kv.get(stringArg(m, "key")) ?? null };
      case "kv_del":
        return { deleted: this.kv.delete(stringArg(m, "key")) };
      case "kv_list":
        return { keys: [...this.kv.keys()] };
      default:
        throw new RequestError(`unknown command ${JSON.stringify(cmd.slice(0, 40))}: try help`);
    }
  }

  private hello(from: Connection, m: Record<string, unknown>): object {
    if (this.owner && this.owner !== from && !this.owner.socket.destroyed)
      throw new RequestError("another circusd is connected to this kernel");
    this.owner = from;
    // What happened while no circusd ran, first.
    for (const entry of this.logKept.splice(0)) from.send({ event: "log", ...entry });
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.log(`circusd connected (${String(m.client ?? "unnamed")})`);
    return { kernel: { pid: process.pid, version: 1 } };
  }

  private async bindSocket(spec: SocketConfig): Promise<HeldSocket> {
    const current = this.sockets.get(spec.name);
    const wanted = JSON.stringify({ ...spec, source: null });
    if (current) {
      if (JSON.stringify({ ...current.config, source: null }) === wanted) return held(current);
      if (this.socketUsed(current.fd))
        throw new RequestError(
          `socket ${spec.name} is held with other options by running processes; stop them first`,
        );
      this.closeSocket(spec.name);
    }
    const socket = new CircusSocket({ ...spec, source: null });
    await socket.bind();
    this.sockets.set(socket.name, socket);
    return held(socket);
  }

  private socketUsed(fd: number): boolean {
    for (const p of this.processes.values()) if (!p.exit && p.fds.includes(fd)) return true;
    return false;
  }

  private closeSocket(name: string): boolean {
    const socket = this.sockets.get(name);
    if (!socket) return false;
    socket.close();
    this.sockets.delete(name);
    this.armIdle();
    return true;
  }

  private spawn(m: Record<string, unknown>): object {
    const held = new Set([...this.sockets.values()].map((s) => s.fd));
    const spec = spawnRequest(m, held);
    const child = spawnChild(spec);
    const fds = (spec.fds ?? []).map(([, fd]) => fd);
    const p = new HostedProcess(child, m.tag ?? null, spec.argv, fds, () => this.armIdle());
    this.processes.set(p.pid, p);
    p.attach(this.owner);
    return { pid: p.pid, started: p.started };
  }

  private hosted(m: Record<string, unknown>): HostedProcess {
    const pid = intArg(m, "pid");
    const p = this.processes.get(pid);
    if (!p) throw new RequestError(`no hosted process ${pid}`);
    return p;
  }

  private forget(p: HostedProcess): boolean {
    if (!p.exit) throw new RequestError(`process ${p.pid} is still running`);
    this.processes.delete(p.pid);
    this.armIdle();
    return true;
  }

  /**
   * Exits, a moment later, when it hosts no live process and no socket and nobody owns it.
   * Ended processes whose exit or output no circusd has taken yet are kept a minute for one
   * to come back, not forever.
   */
  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.owner || this.sockets.size > 0) return;
    const records = [...this.processes.values()];
    if (records.some((p) => !p.exit)) return;
    const unsettled = records.some((p) => !p.settled);
    this.idleTimer = setTimeout(
      () => {
        if (this.owner || this.sockets.size > 0) return;
        if ([...this.processes.values()].some((p) => !p.exit)) return;
        this.exit(
          unsettled
            ? "hosting no live process, and no circusd came back for what ended"
            : "hosting nothing, with no circusd connected",
        );
      },
      unsettled ? UNSETTLED_EXIT_MS : IDLE_EXIT_MS,
    );
  }

  /** SIGTERM and SIGINT: refused while a process runs here, which must outlive circusd. */
  signalled(signal: string): void {
    const live = [...this.processes.values()].filter((p) => !p.exit).length;
    if (live === 0) return this.exit(`${signal}, hosting no process`);
    this.log(`${signal} ignored: ${live} processes run here (stop them through circusd)`);
  }

  private exit(why: string): void {
    this.log(`exiting: ${why}`);
    for (const socket of this.sockets.values()) socket.close();
    this.server?.close();
    if ("path" in this.address) rmSync(this.address.path, { force: true });
    process.exit(0);
  }
}

function held(socket: CircusSocket): HeldSocket {
  const { source: _source, ...spec } = socket.config;
  return { name: socket.name, fd: socket.fd, port: socket.port, spec };
}

function stringArg(m: Record<string, unknown>, key: string): string {
  const value = m[key];
  if (typeof value !== "string" || value === "")
    throw new RequestError(`${key}: a string is required`);
  return value;
}

function intArg(m: Record<string, unknown>, key: string): number {
  const value = m[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw new RequestError(`${key}: a non-negative integer is required`);
  return value;
}
