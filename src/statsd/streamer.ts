/**
 * circusd-stats's work, as Circus's StatsStreamer does it: it keeps the pids of every watcher
 * (from `list` at start, then from the spawn, reap, kill and stop events) and, once a
 * second, publishes each process's figures and each watcher's aggregate, circus's own
 * processes (`stat.circus`), and the sockets' hits (`stat.sockets`). Structurally it is a
 * plugin: a client of circusd's control and pub/sub endpoints.
 *
 * Beyond Circus: nothing is sampled for a group that nobody subscribes to, and a process
 * that is gone without an event (its reap missed) is forgotten rather than read forever.
 */
import type { CircusReply } from "../control/protocol.js";
import { getInfo, type Info } from "../control/process-stats.js";
import { logger } from "../log/logger.js";
import { CircusPlugin } from "../plugins/plugin.js";
import type { CurveClient } from "../security/client-options.js";
import type { CurveServer } from "../security/server.js";
import { sampleContext, type CpuSample, type SampleContext } from "../stats/process-info.js";
import { SocketHits, type CountedSocket } from "../stats/socket-hits.js";
import { aggregate, socketFrames } from "./frames.js";
import { StatsPublisher } from "./publisher.js";

/** The watchers that are circus itself: their processes are in the `circus` group. */
const CIRCUS_WATCHERS = new Set(["circusd", "circushttpd", "circusd-stats"]);

/** Where {@link StatsStreamer} reads and publishes. */
export interface StreamerOptions {
  /** circusd's control endpoint. */
  endpoint: string;
  /** circusd's pub/sub endpoint. */
  pubsub: string;
  /** Where the stats are published (bound here). */
  statsEndpoint: string;
  /** Reach circusd's endpoints through ssh (`user@host[:port]`). */
  ssh?: string | null;
  /** Seconds between two rounds of samples (1, as Circus). */
  delay?: number;
  /** CURVE: this program's client keys (circus's own, with `--curve-circus-key`). */
  curve?: CurveClient;
  /** CURVE on the stats endpoint: circusd's key pair and accepted clients. */
  curveServer?: CurveServer;
  /** An ipc:// stats endpoint's socket file read-write for its owner only. */
  ownerOnly?: boolean;
}

/** Publishes live process and socket figures of a circusd on a stats endpoint. */
export class StatsStreamer extends CircusPlugin {
  /** The pids of each watcher, under the watcher's name as `list` gives it. */
  private readonly pids = new Map<string, Set<number>>();
  /** Each process's previous CPU reading, for a percentage over the last interval. */
  private readonly cpu = new Map<number, CpuSample>();
  /** circusd, circusd-stats and circushttpd: pid -> name. */
  private circus = new Map<number, string>();
  private hits: SocketHits | null = null;
  /** circusd's pid when it is our parent (we run as its watcher), else null. */
  private parent: number | null = null;
  private readonly publisher: StatsPublisher;
  private readonly delay: number;

  constructor(options: StreamerOptions) {
    super(options.endpoint, options.pubsub, 5, {}, options.ssh ?? null);
    this.name = "circusd-stats";
    this.curve = options.curve ?? null;
    this.publisher = new StatsPublisher(
      options.statsEndpoint,
      options.curveServer,
      options.ownerOnly ?? false,
    );
    this.delay = options.delay ?? 1;
  }

  override async handleInit(): Promise<void> {
    await this.publisher.bind();
    logger.info("Starting the stats streamer");
    const watchers = stringList(await this.call("list"), "watchers");
    for (const watcher of watchers) {
      if (CIRCUS_WATCHERS.has(watcher)) continue;
      const reply = await this.call("list", { name: watcher });
      for (const pid of numberList(reply, "pids")) this.add(watcher, pid);
    }
    this.circus = await this.circusPids(watchers);
    const sockets = await this.call("listsockets");
    this.hits = new SocketHits(countedSockets(sockets));
    this.every(this.delay, () => this.round());
  }

  override handleStop(): void {
    this.hits?.close();
    this.publisher.close();
    logger.info("Stats streamer stopped");
  }

  /** Keeps the pid lists in step with circusd's events. */
  handleRecv(topic: string, message: string): void {
    const { watcher: topicName, action } = CircusPlugin.splitTopic(topic);
    const watcher = this.watcherName(topicName);
    if (CIRCUS_WATCHERS.has(watcher)) return;
    const pid = Number(CircusPlugin.loadMessage(message).process_pid);
    if (action === "spawn" && Number.isInteger(pid)) this.add(watcher, pid);
    else if ((action === "reap" || action === "kill") && Number.isInteger(pid))
      this.remove(watcher, pid);
    else if (action === "stop")
      for (const p of this.pids.get(watcher) ?? []) this.remove(watcher, p);
  }

  /** One round: every group someone subscribes to, then the sockets. */
  private round(): void {
    // Run by circusd and orphaned (circusd killed -9): nobody will stop us, nothing is left
    // to sample. Reparented, our ppid is no longer circusd's.
    if (this.parent !== null && process.ppid !== this.parent) {
      logger.info(`circusd (pid ${this.parent}) is gone: stopping`);
      void this.stop().then(() => process.exit(0));
      return;
    }
    const ctx = sampleContext(false);
    for (const [watcher, pids] of this.pids)
      if (this.publisher.wants(watcher)) this.publishGroup(watcher, pids, ctx);
    if (this.publisher.wants("circus")) this.publishGroup("circus", this.circus, ctx);
    // Taken every round, so that a subscriber arriving gets the hits of one interval.
    const reads = this.hits?.take() ?? [];
    if (reads.length === 0 || !this.publisher.wants("sockets")) return;
    const frames = socketFrames(reads);
    const total = frames.pop();
    for (const frame of frames)
      if ("fd" in frame) this.publisher.publish("sockets", frame, frame.fd);
    if (total) this.publisher.publish("sockets", total);
  }

  /**
   * A frame per process, then the aggregate. `group` is a watcher's pids, or the circus
   * processes with their names.
   */
  private publishGroup(
    name: string,
    group: Set<number> | Map<number, string>,
    ctx: SampleContext,
  ): void {
    const infos: Info[] = [];
    for (const pid of group.keys()) {
      let previous = this.cpu.get(pid);
      if (!previous) this.cpu.set(pid, (previous = { ticks: 0, at: 0 }));
      const info = getInfo(pid, previous, false, ctx);
      if (!info) {
        if (group instanceof Set) this.remove(name, pid);
        continue;
      }
      infos.push(info);
      const label = group instanceof Map ? (group.get(pid) ?? null) : null;
      this.publisher.publish(name, { ...info, subtopic: pid, name: label }, pid);
    }
    if (infos.length > 0) this.publisher.publish(name, aggregate(infos));
  }

  private add(watcher: string, pid: number): void {
    let pids = this.pids.get(watcher);
    if (!pids) this.pids.set(watcher, (pids = new Set()));
    pids.add(pid);
  }

  private remove(watcher: string, pid: number): void {
    const pids = this.pids.get(watcher);
    pids?.delete(pid);
    if (pids?.size === 0) this.pids.delete(watcher);
    this.cpu.delete(pid);
  }

  /** Topics carry a watcher's name in lower case: back to the name `list` gave. */
  private watcherName(topicName: string): string {
    for (const watcher of this.pids.keys()) if (watcher.toLowerCase() === topicName) return watcher;
    return topicName;
  }

  /** circusd-stats (this process), circusd (from dstats) and circushttpd, when it runs. */
  private async circusPids(watchers: string[]): Promise<Map<number, string>> {
    const pids = new Map<number, string>([[process.pid, "circusd-stats"]]);
    const dstats = await this.call("dstats");
    const info = dstats.info as { pid?: unknown } | undefined;
    if (typeof info?.pid === "number") {
      pids.set(info.pid, "circusd");
      if (info.pid === process.ppid) this.parent = info.pid;
    }
    if (watchers.includes("circushttpd")) {
      const httpd = numberList(await this.call("list", { name: "circushttpd" }), "pids");
      if (httpd.length === 1) pids.set(httpd[0] as number, "circushttpd");
    }
    return pids;
  }
}

function stringList(reply: CircusReply, key: string): string[] {
  const value = reply[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function numberList(reply: CircusReply, key: string): number[] {
  const value = reply[key];
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === "number") : [];
}

/** `listsockets`' sockets, with the address Circus shows: `host:port`, or the path. */
function countedSockets(reply: CircusReply): CountedSocket[] {
  const sockets = Array.isArray(reply.sockets) ? (reply.sockets as Record<string, unknown>[]) : [];
  return (
    sockets
      // A socket of the process kernel's has the kernel's fd, not one circusd-stats inherited.
      .filter((s) => typeof s.fd === "number" && s.papa !== true)
      .map((s) => ({
        fd: s.fd as number,
        address: typeof s.path === "string" ? s.path : `${String(s.host)}:${String(s.port)}`,
      }))
  );
}
