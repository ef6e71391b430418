/**
 * The pub/sub endpoint: every event of the arbiter and its watchers goes out as two frames,
 * the topic (`watcher.NAME.spawn`, ...) and a JSON body, as Circus publishes them.
 */
import { Publisher as PubSocket } from "zeromq";
import type { Arbiter, ArbiterEvent } from "../core/arbiter.js";
import type { WatcherEvent } from "../core/watcher.js";
import { SendQueue } from "./send-queue.js";

/** Publishes the arbiter's events on a PUB socket. */
export class Publisher {
  private readonly socket = new PubSocket({ linger: 0 });
  private readonly out = new SendQueue((frames) => this.socket.send(frames));
  private readonly onWatcher = (event: WatcherEvent) =>
    this.publish(`watcher.${event.watcher}.${event.topic}`, event.data);
  // Circus publishes a watcher's add and remove on the watcher's own topic, with the time.
  private readonly onArbiter = (event: ArbiterEvent) =>
    this.publish(`watcher.${String(event.data.name)}.${event.topic}`, { time: event.data.time });
  private closed = false;

  constructor(
    private readonly arbiter: Arbiter,
    readonly endpoint: string,
  ) {}

  /** Binds the endpoint and starts forwarding events. */
  async start(): Promise<void> {
    await this.socket.bind(this.endpoint);
    this.arbiter.on("event", this.onWatcher);
    this.arbiter.on("arbiter-event", this.onArbiter);
  }

  /** Sends one event: topic frame, then the JSON body. */
  publish(topic: string, data: Record<string, unknown>): void {
    if (this.closed) return;
    this.out.push([Buffer.from(topic), Buffer.from(JSON.stringify(data))]);
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
    this.out.close();
    this.socket.close();
  }
}
