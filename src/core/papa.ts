/**
 * The arbiter's side of the process kernel (`use_papa`): the kernel's sockets as the arbiter's
 * own, a process table whose processes live in the kernel, and the recovery of what the
 * kernel kept while no circusd ran.
 */
import type { SocketConfig } from "../config/types.js";
import { KernelClient, type KernelRunner } from "../kernel/client.js";
import type { ExitEvent, HostedInfo } from "../kernel/protocol.js";
import { logger } from "../log/logger.js";
import { CircusSocket, type SocketInfo } from "../sockets/circus-socket.js";
import { childrenOf } from "../sys/proc.js";
import type { ProcessTable, ProcessTag } from "../sys/process-table.js";
import { sendSignalTo } from "../sys/signals.js";
import type { Child, HostedOutput, SpawnSpec } from "../sys/spawn.js";
import type { ChildExit } from "../sys/reaper.js";

/** A socket the kernel holds: its fd is the kernel's, the number its processes get it at. */
export class KernelSocket extends CircusSocket {
  constructor(
    config: SocketConfig,
    private readonly papa: Papa,
  ) {
    super(config);
  }

  override async bind(): Promise<void> {
    const { source: _source, usePapa: _usePapa, ...spec } = this.config;
    const reply = await this.papa.client.request("socket", { name: this.name, spec });
    const held = reply.socket as { fd: number; port: number };
    this.fd = held.fd;
    this.port = held.port;
    this.papa.held(this);
  }

  override hasSiblings(): boolean {
    return false;
  }

  override info(): SocketInfo {
    return { ...super.info(), papa: true };
  }

  /**
   * Closes it in the kernel, unless circusd is leaving while the kernel's processes still use
   * it: the next circusd needs it for their replacements.
   */
  override close(): void {
    if (this.fd < 0) return;
    this.fd = -1;
    this.papa.release(this);
    if (this.papa.leaving && this.papa.live() > 0) return;
    this.papa.client.request("close_socket", { name: this.name }).catch(() => {});
  }
}

/** One process the kernel kept from a previous circusd, for its watcher to take back. */
export interface Recovered {
  child: Child;
  wid: number;
  started: number;
  argv: string[];
}

/** The tag circusd gives each process it starts in the kernel. */
interface Tag extends ProcessTag {
  watcher: string;
  wid: number;
}

function isTag(tag: unknown): tag is Tag {
  const t = tag as Partial<Tag> | null;
  return typeof t?.watcher === "string" && typeof t.wid === "number";
}

/** A child living in the kernel, and how to end it when the kernel is lost. */
interface HostedChild extends Child {
  output: HostedOutput;
  /** Reports it ended, when the kernel that would say so is gone. */
  lost(): void;
}

/** A child living in the kernel: output and exit come through the connection. */
function hostedChild(client: KernelClient, pid: number, reported = 0): HostedChild {
  let sink:
    ((stream: "stdout" | "stderr", data: Buffer, time: number) => void | Promise<void>) | null =
    null;
  let sinkSet: (() => void) | null = null;
  const sinkReady = new Promise<void>((resolve) => (sinkSet = resolve));
  let exited!: (exit: ChildExit) => void;
  const exit = new Promise<ChildExit>((resolve) => (exited = resolve));
  client.follow(pid, {
    // Output before anyone reads it waits (and holds its acknowledgement) until someone does.
    output: async (stream, data, time) => {
      if (!sink) await sinkReady;
      await sink?.(stream, data, time);
    },
    exit: (event: ExitEvent) => {
      if (event.dropped > reported) dropWarning(pid, event.dropped - reported);
      exited({ code: event.exit.code, signal: event.exit.signal as NodeJS.Signals | null });
    },
  });
  return {
    pid,
    stdout: null,
    stderr: null,
    exited: exit,
    output: {
      follow(to) {
        sink = to;
        sinkSet?.();
      },
    },
    lost: () => exited({ code: null, signal: "SIGKILL" }),
  };
}

function dropWarning(pid: number, bytes: number): void {
  logger.warning(
    `process ${pid}: the process kernel dropped ${bytes} bytes of its output, the oldest, while no circusd read it (it keeps 2 MB per process)`,
  );
}

/** The process kernel as one arbiter uses it. */
export class Papa implements ProcessTable {
  readonly hosted = true;
  /** Set when circusd is leaving: the kernel's processes stay. */
  leaving = false;
  private readonly kept = new Map<number, HostedInfo>();
  private readonly running = new Map<number, HostedChild>();
  private readonly sockets = new Set<KernelSocket>();
  private reconnecting: Promise<void> | null = null;

  private constructor(
    public client: KernelClient,
    private readonly runner: KernelRunner,
  ) {
    client.on("lost", () => this.lost());
  }

  /** Connects to (or starts) the kernel at `endpoint` and reads what it kept. */
  static async connect(endpoint: string, runner: KernelRunner): Promise<Papa> {
    const papa = new Papa(await KernelClient.connect(endpoint, runner), runner);
    for (const info of await papa.client.list()) papa.kept.set(info.pid, info);
    if (papa.kept.size > 0)
      logger.info(`the process kernel at ${endpoint} kept ${papa.kept.size} processes`);
    return papa;
  }

  /** Called with the sockets bound again in a new kernel (their fds changed). */
  onRebound: (() => void) | null = null;

  /** A socket of this kernel, bound again if the kernel has to be replaced. */
  held(socket: KernelSocket): void {
    this.sockets.add(socket);
  }

  release(socket: KernelSocket): void {
    this.sockets.delete(socket);
  }

  async spawn(spec: SpawnSpec, tag?: ProcessTag): Promise<Child> {
    if (this.reconnecting) await this.reconnecting;
    const reply = await this.client.request("spawn", { ...spec, tag: tag ?? null });
    const pid = reply.pid as number;
    const child = hostedChild(this.client, pid);
    this.track(child);
    return child;
  }

  signal(pid: number, signum: number): boolean {
    return sendSignalTo(pid, signum);
  }

  children(pid: number, recursive: boolean): number[] {
    return childrenOf(pid, recursive);
  }

  private track(child: HostedChild): void {
    this.running.set(child.pid, child);
    void child.exited.then(() => this.running.delete(child.pid));
  }

  /** Processes running in the kernel for this circusd. */
  live(): number {
    return this.running.size;
  }

  /**
   * The processes the kernel kept for the watcher `name` (from an earlier circusd), each handed
   * out once; an ended one comes with its exit, for the watcher to report and replace.
   */
  recover(name: string): Recovered[] {
    const found: Recovered[] = [];
    for (const [pid, info] of this.kept) {
      if (!isTag(info.tag) || info.tag.watcher.toLowerCase() !== name.toLowerCase()) continue;
      this.kept.delete(pid);
      if (info.dropped > 0) dropWarning(pid, info.dropped);
      if (info.exit) {
        const how = info.exit.signal ? `signal ${info.exit.signal}` : `code ${info.exit.code}`;
        logger.info(
          `${name}: process ${pid} (wid ${info.tag.wid}) ended with ${how} while no circusd ran`,
        );
      }
      const child = hostedChild(this.client, pid, info.dropped);
      this.track(child);
      found.push({ child, wid: info.tag.wid, started: info.started, argv: info.argv });
    }
    return found;
  }

  /**
   * The kept processes no watcher took back (their watcher left the config or the kernel):
   * stopped, since nothing would supervise them, and their output read to the end.
   */
  releaseUnclaimed(): void {
    for (const [pid, info] of this.kept) {
      const child = hostedChild(this.client, pid);
      child.output.follow(() => {});
      if (info.exit) continue;
      logger.warning(
        `process ${pid} (${info.argv.join(" ")}) kept by the process kernel belongs to no use_papa watcher; stopping it`,
      );
      sendSignalTo(pid, 15);
      const timer = setTimeout(() => sendSignalTo(pid, 9), 10_000);
      void child.exited.then(() => clearTimeout(timer));
    }
    this.kept.clear();
  }

  /**
   * The kernel is gone (killed): its processes have lost their output pipes, so they are
   * killed and reported ended; a new kernel is started, the sockets bound again in it, and
   * the watchers replace the processes there as after any death.
   */
  private lost(): void {
    if (this.leaving) return;
    const endpoint = this.client.endpoint;
    logger.error(
      `lost the process kernel at ${endpoint}: its processes are started again in a new one`,
    );
    this.reconnecting = (async () => {
      this.client = await KernelClient.connect(endpoint, this.runner);
      this.client.on("lost", () => this.lost());
      for (const socket of this.sockets) await socket.bind();
      this.onRebound?.();
    })()
      .catch((error) =>
        logger.error(`cannot start a new process kernel: ${(error as Error).message}`),
      )
      .finally(() => (this.reconnecting = null));
    for (const child of [...this.running.values()]) {
      sendSignalTo(child.pid, 9);
      child.lost();
    }
  }

  /** circusd leaves: the kernel keeps everything for the next one. */
  detach(): void {
    this.leaving = true;
    this.client.close();
  }
}
