/**
 * The stats endpoint: frames go out as `stat.NAME[.SUBTOPIC]` and a JSON body, as Circus's
 * StatsPublisher sends them. The socket is an XPUB, so that the streamer samples nothing
 * while nobody subscribes.
 */
import { XPublisher } from "zeromq";
import { SendQueue } from "../control/send-queue.js";
import { Subscriptions } from "../control/subscriptions.js";
import { wireJson } from "../python/json.js";
import type { CurveServer } from "../security/server.js";
import { ownerOnlyIpc } from "../sys/files.js";

/**
 * Frames a subscriber may have waiting before ZeroMQ drops its next ones: ten rounds of 1000
 * processes, about 4 MB per subscriber that stopped reading, and none of it in circusd.
 */
const HIGH_WATER_MARK = 10_000;

/** Publishes stats frames on the stats endpoint. */
export class StatsPublisher {
  private readonly socket: XPublisher;
  private readonly out = new SendQueue((frames) => this.socket.send(frames));
  private readonly subscriptions = new Subscriptions();

  /** With `curve`, subscribers need a key of circusd's curve_clients (or circus's own). */
  constructor(
    readonly endpoint: string,
    private readonly curve?: CurveServer,
    /** An ipc:// socket file read-write for its owner only. */
    private readonly ownerOnly = false,
  ) {
    this.socket = new XPublisher({
      linger: 0,
      sendHighWaterMark: HIGH_WATER_MARK,
      ...curve?.socketOptions(),
    });
  }

  /** Binds the endpoint (after this process's ZAP handler, with CURVE). */
  async bind(): Promise<void> {
    await this.curve?.start();
    await this.socket.bind(this.endpoint);
    if (this.ownerOnly) ownerOnlyIpc(this.endpoint);
    void this.subscriptions.follow(this.socket);
  }

  /** Whether someone subscribes to some of `stat.NAME`'s frames. */
  wants(name: string): boolean {
    return this.subscriptions.wantsAny(`stat.${name}`);
  }

  /** Sends a frame on `stat.NAME`, or `stat.NAME.SUBTOPIC`. */
  publish(name: string, frame: object, subtopic?: number): void {
    const topic = subtopic === undefined ? `stat.${name}` : `stat.${name}.${subtopic}`;
    if (!this.subscriptions.wants(topic)) return;
    this.out.push([Buffer.from(topic), Buffer.from(wireJson(frame as Record<string, unknown>))]);
  }

  /** Closes the socket; what is still queued is dropped. */
  close(): void {
    this.out.close();
    this.socket.close();
    this.curve?.close();
  }
}
