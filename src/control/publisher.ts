/**
 * The pub/sub endpoint: every event of the arbiter and its watchers goes out as two frames,
 * the topic (`watcher.NAME.spawn`, ...) and a JSON body, as Circus publishes them. The socket
 * is an XPUB (a SUB cannot tell it from a PUB) so that the output of watchers is published
 * only while someone subscribes to it (`logs.` topics).
 */
import { XPublisher as PubSocket } from "zeromq";
import type { Arbiter, ArbiterEvent } from "../core/arbiter.js";
import type { WatcherEvent } from "../core/watcher.js";
import type { CurveServer } from "../security/server.js";
import { ownerOnlyIpc } from "../sys/files.js";
import { wireJson } from "../python/json.js";
import { LogFollow } from "./log-follow.js";
import { SendQueue } from "./send-queue.js";
import { Subscriptions } from "./subscriptions.js";

/**
 * `watcher.NAME.TOPIC`, with the name as Circus writes it in topics (its `res_name`): lower
 * case, spaces as underscores.
 */
function watcherTopic(watcher: string, topic: string): string {
  return `watcher.${watcher.toLowerCase().replaceAll(" ", "_")}.${topic}`;
}

/** Publishes the arbiter's events on a PUB socket. */
export class Publisher {
  private readonly socket: PubSocket;
  private readonly out = new SendQueue((frames) => this.socket.send(frames));
  private readonly onWatcher = (event: WatcherEvent) =>
    this.publish(watcherTopic(event.watcher, event.topic), event.data);
  // Circus publishes a watcher's add and remove on the watcher's own topic, with the time.
  private readonly onArbiter = (event: ArbiterEvent) => {
    this.publish(watcherTopic(String(event.data.name), event.topic), { time: event.data.time });
    this.follow.refresh();
  };
  private readonly follow: LogFollow;
  private closed = false;
  /**
   * An event nobody would receive is not encoded at all, which is most of what a spawn costs
   * the publisher when nothing listens.
   */
  private readonly subscriptions = new Subscriptions((prefix, subscribed) =>
    this.follow.subscription(prefix, subscribed),
  );

  /** With `curve`, subscribers need a key of circusd's curve_clients. */
  constructor(
    private readonly arbiter: Arbiter,
    readonly endpoint: string,
    curve: CurveServer | null = null,
    /** An ipc:// socket file read-write for its owner only (see ControllerOptions). */
    private readonly ownerOnly = false,
  ) {
    this.socket = new PubSocket({ linger: 0, ...curve?.socketOptions() });
    this.follow = new LogFollow(arbiter, (topic, data) => this.publish(topic, data));
  }

  /** Binds the endpoint and starts forwarding events. */
  async start(): Promise<void> {
    await this.socket.bind(this.endpoint);
    if (this.ownerOnly) ownerOnlyIpc(this.endpoint);
    this.arbiter.on("event", this.onWatcher);
    this.arbiter.on("arbiter-event", this.onArbiter);
    void this.subscriptions.follow(this.socket);
  }

  /** Sends one event: topic frame, then the JSON body. */
  publish(topic: string, data: Record<string, unknown>): void {
    if (this.closed || !this.subscriptions.wants(topic)) return;
    this.out.push([Buffer.from(topic), Buffer.from(wireJson(data))]);
  }

  /** Sends what is queued, if it can within a short while. */
  async flush(timeoutMs = 200): Promise<void> {
    await Promise.race([this.out.drain(), new Promise((r) => setTimeout(r, timeoutMs))]);
  }

  /** Stops forwarding and closes the socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.arbiter.off("event", this.onWatcher);
    this.arbiter.off("arbiter-event", this.onArbiter);
    this.follow.close();
    this.out.close();
    this.socket.close();
  }
}
