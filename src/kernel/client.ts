/**
 * circusd's side of the process kernel: one connection, requests with replies, and the
 * output and exit events of the hosted processes, each handed to whoever follows that pid,
 * in order, and acknowledged once handled (so that a circusd killed meanwhile loses nothing:
 * the next one is sent what was not acknowledged).
 */
import { spawn } from "node:child_process";
import { trackNodeChild } from "../sys/node-children.js";
import { EventEmitter } from "node:events";
import { rmSync } from "node:fs";
import net from "node:net";
import { logger } from "../log/logger.js";
import {
  FrameReader,
  line,
  parseKernelEndpoint,
  type ExitEvent,
  type HeldSocket,
  type HostedInfo,
  type KernelAddress,
  type OutputEvent,
} from "./protocol.js";

/** The kernel refused a request, or could not be reached. */
export class KernelError extends Error {
  override name = "KernelError";
}

/** Whoever follows one hosted process: its output, in order, then its exit. */
export interface HostedFollower {
  /** A promise holds the next pieces (and their acknowledgement) until it settles. */
  output(stream: "stdout" | "stderr", data: Buffer, time: number): void | Promise<void>;
  exit(event: ExitEvent): void;
}

type Pending = { resolve: (reply: Record<string, unknown>) => void; reject: (e: Error) => void };

/** The events of one pid, kept in order until someone follows it. */
class PidQueue {
  follower: HostedFollower | null = null;
  private readonly events: { header: OutputEvent | ExitEvent; data: Buffer | null }[] = [];
  private busy = false;

  constructor(
    private readonly pid: number,
    private readonly client: KernelClient,
  ) {}

  push(header: OutputEvent | ExitEvent, data: Buffer | null): void {
    this.events.push({ header, data });
    void this.run();
  }

  async run(): Promise<void> {
    if (this.busy || !this.follower) return;
    this.busy = true;
    try {
      while (this.follower && this.events.length > 0) {
        const { header, data } = this.events.shift() as (typeof this.events)[number];
        if (header.event === "exit") {
          this.follower.exit(header);
          this.client.done(this.pid);
          continue;
        }
        try {
          await this.follower.output(header.stream, data as Buffer, header.time);
        } catch {
          // A stream's failure is its own to report; the output counts as handled.
        }
        this.client.cast({ cmd: "ack", pid: this.pid, seq: header.seq });
      }
    } finally {
      this.busy = false;
    }
  }
}

/** Node's arguments that run circus-papa (the CLI layer knows where it is). */
export type KernelRunner = () => string[];

export class KernelClient extends EventEmitter<{ lost: [] }> {
  private readonly pending = new Map<number, Pending>();
  private readonly queues = new Map<number, PidQueue>();
  private nextId = 1;
  private closing = false;

  private constructor(
    private readonly socket: net.Socket,
    readonly endpoint: string,
  ) {
    super();
    const reader = new FrameReader(
      (frame) => {
        if (frame.kind !== "message") return;
        this.onMessage(frame.message, frame.payload);
      },
      (m) => (m.event === "output" && typeof m.len === "number" ? m.len : 0),
    );
    socket.on("data", (chunk) => reader.push(chunk));
    socket.on("error", () => socket.destroy());
    socket.once("close", () => {
      for (const { reject } of this.pending.values())
        reject(new KernelError(`the process kernel at ${endpoint} closed the connection`));
      this.pending.clear();
      if (!this.closing) this.emit("lost");
    });
  }

  /**
   * Connects to the kernel at `endpoint`, starting one (with `runner`) when none answers,
   * and becomes its owner.
   *
   * @throws KernelError when no kernel can be reached or started, or another circusd owns it.
   */
  static async connect(endpoint: string, runner: KernelRunner): Promise<KernelClient> {
    const address = parseKernelEndpoint(endpoint);
    let socket: net.Socket;
    try {
      socket = await dial(address);
    } catch {
      await launch(endpoint, address, runner);
      socket = await dial(address).catch((error: Error) => {
        throw new KernelError(`cannot reach the process kernel at ${endpoint}: ${error.message}`);
      });
    }
    const client = new KernelClient(socket, endpoint);
    await client.request("hello", { client: `circusd ${process.pid}` });
    return client;
  }

  private onMessage(m: Record<string, unknown>, payload: Buffer | null): void {
    if (m.event === "log") {
      logger.info(`process kernel: ${String(m.line)}`);
      return;
    }
    if (m.event === "output" || m.event === "exit") {
      const header = m as unknown as OutputEvent | ExitEvent;
      this.queue(header.pid).push(header, payload);
      return;
    }
    const id = m.id;
    if (typeof id !== "number") {
      if (m.ok === false) logger.error(`process kernel: ${String(m.error)}`);
      return;
    }
    const waiter = this.pending.get(id);
    this.pending.delete(id);
    if (!waiter) return;
    if (m.ok === true) waiter.resolve(m);
    else waiter.reject(new KernelError(String(m.error)));
  }

  private queue(pid: number): PidQueue {
    let queue = this.queues.get(pid);
    if (!queue) this.queues.set(pid, (queue = new PidQueue(pid, this)));
    return queue;
  }

  /** Sends a request and resolves with its reply; rejects with a KernelError when refused. */
  request(cmd: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed)
        return reject(new KernelError(`the process kernel at ${this.endpoint} is gone`));
      this.pending.set(id, { resolve, reject });
      this.socket.write(line({ ...args, id, cmd }));
    });
  }

  /** Sends a request whose reply (none, unless refused) nobody waits for. */
  cast(message: Record<string, unknown>): void {
    if (!this.socket.destroyed) this.socket.write(line(message));
  }

  /** Hands the events of `pid`, those kept until now first, to `follower`. */
  follow(pid: number, follower: HostedFollower): void {
    const queue = this.queue(pid);
    queue.follower = follower;
    void queue.run();
  }

  /** A process's exit was handled: the kernel forgets it. */
  done(pid: number): void {
    this.queues.delete(pid);
    this.request("forget", { pid }).catch(() => {});
  }

  async list(): Promise<HostedInfo[]> {
    return (await this.request("list")).processes as HostedInfo[];
  }

  async sockets(): Promise<HeldSocket[]> {
    return (await this.request("sockets")).sockets as HeldSocket[];
  }

  /** Lets the kernel go (it keeps what it hosts, for the next circusd). */
  close(): void {
    this.closing = true;
    this.socket.end();
  }
}

function dial(address: KernelAddress): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      "path" in address ? net.connect(address.path) : net.connect(address.port, address.host);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/**
 * Starts a kernel in a session of its own (a Ctrl-C or circusd's death does not reach it),
 * and resolves once it listens. It keeps none of circusd's files open: whoever waits for
 * circusd's output to end (a pipe, a test) is not held by the kernel.
 */
async function launch(
  endpoint: string,
  address: KernelAddress,
  runner: KernelRunner,
): Promise<void> {
  // Nobody answered there: a socket file left by a kernel that was killed is stale.
  if ("path" in address) rmSync(address.path, { force: true });
  const child = trackNodeChild(
    spawn(process.execPath, [...runner(), "--endpoint", endpoint], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  let said = "";
  child.stderr?.on("data", (chunk: Buffer) => (said += chunk.toString()));
  const ready = await new Promise<boolean>((resolve) => {
    let seen = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes("ready\n")) resolve(true);
    });
    child.once("exit", () => resolve(false));
    child.once("error", () => resolve(false));
  });
  child.stdout?.destroy();
  child.stderr?.destroy();
  child.unref();
  if (!ready)
    throw new KernelError(
      `the process kernel did not start: ${said.trim().split("\n").at(-1) ?? "no reason given"}`,
    );
  logger.info(`started the process kernel (pid ${child.pid}) at ${endpoint}`);
}
