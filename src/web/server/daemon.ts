/**
 * One circusd the console talks to: a {@link Client} for commands, a heartbeat that says
 * whether it answers, a {@link Subscriber} on its pub/sub endpoint (events into a ring, and
 * `logs.` topics while a page follows a watcher), and one on its stats endpoint.
 */
import { EventEmitter } from "node:events";
import type { CurveClient } from "../../security/client-options.js";
import { Client } from "../../client/client.js";
import { CallError } from "../../client/errors.js";
import { Subscriber, type CircusEvent } from "../../client/subscriber.js";
import type { CircusReply } from "../../control/protocol.js";
import { logger } from "../../log/logger.js";

/** Events kept per daemon for `GET /events`. */
const RING_SIZE = 1000;
/** Between two heartbeats (ms); a heartbeat waits at most HEARTBEAT_TIMEOUT s. */
const HEARTBEAT_MS = 1000;
const HEARTBEAT_TIMEOUT = 2;
/** Seconds an API call may wait for its reply (a stop or restart may wait for processes). */
const CALL_TIMEOUT = 60;

/** One event as kept in the ring. */
export interface KeptEvent {
  time: number;
  topic: string;
  data: unknown;
}

/** Who a state change is made for (the request's `origin`). */
export interface Origin {
  user: string;
  via: string;
}

/** What a {@link Daemon} emits. */
export interface DaemonEvents {
  state: [];
  event: [KeptEvent];
  stat: [{ topic: string; data: unknown }];
  log: [CircusEvent];
}

/** `tcp://host:port` or `ipc://path`, else null. */
export function checkEndpoint(text: unknown): string | null {
  if (typeof text !== "string") return null;
  if (/^tcp:\/\/[A-Za-z0-9.\-[\]:*]+:\d{1,5}$/.test(text)) return text;
  if (/^ipc:\/\/\S+$/.test(text)) return text;
  return null;
}

/** An endpoint bound on every address, made reachable with the control endpoint's host. */
function reachable(endpoint: string, control: string): string {
  const host = /^tcp:\/\/(.+):\d+$/.exec(control)?.[1] ?? "127.0.0.1";
  return endpoint.replace(/^tcp:\/\/(0\.0\.0\.0|\*)(?=:)/, `tcp://${host}`);
}

/** A connection to one circusd. */
export class Daemon extends EventEmitter<DaemonEvents> {
  state: "up" | "down" = "down";
  error: string | undefined = "not connected yet";
  private client: Client;
  private events: Subscriber | null = null;
  private stats: Subscriber | null = null;
  /** The endpoints, as the daemon named them, that `events` and `stats` follow. */
  private eventsFrom: string | null = null;
  private statsFrom: string | null = null;
  /** Pages following the stats: `stat.` is subscribed to while there is one. */
  private statsFollowers = 0;
  private readonly ring: KeptEvent[] = [];
  private readonly logTopics = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** A stats endpoint given (`--stats-endpoint`, the form) wins over the daemon's own. */
  private readonly statsGiven: boolean;

  constructor(
    readonly id: string,
    readonly endpoint: string,
    public statsEndpoint: string | null,
    /**
     * Makes one of the daemon's endpoints reachable from here (an ssh tunnel, with
     * `--ssh`): the pub/sub and stats endpoints its globaloptions name.
     */
    private readonly reach: (endpoint: string) => Promise<string> = async (e) => e,
    /** Where to send the commands: `endpoint`, or the local end of its ssh tunnel. */
    private readonly via: string = endpoint,
    /** CURVE: the console's keys and this daemon's public key. */
    private readonly curve?: CurveClient,
  ) {
    super();
    this.statsGiven = statsEndpoint !== null;
    this.client = this.newClient();
  }

  private curveOption(): { curve?: CurveClient } {
    return this.curve ? { curve: this.curve } : {};
  }

  private newClient(): Client {
    return new Client({ endpoint: this.via, timeout: 5, ...this.curveOption() });
  }

  /** What `GET /api/daemons` lists. */
  describe(): Record<string, unknown> {
    return {
      id: this.id,
      endpoint: this.endpoint,
      statsEndpoint: this.statsEndpoint,
      state: this.state,
      ...(this.state === "down" && this.error ? { error: this.error } : {}),
    };
  }

  /** Starts the heartbeat (the first one at once). */
  start(): void {
    void this.beat();
  }

  /**
   * Runs a command; an error reply resolves too.
   *
   * @throws CallError when the daemon is down, goes down meanwhile, or does not answer in time.
   */
  async call(
    command: string,
    properties: Record<string, unknown> = {},
    origin?: Origin,
  ): Promise<CircusReply> {
    // Not sent while down: a DEALER would queue it and deliver it when circusd comes back,
    // running a state change the user was told had failed.
    if (this.state === "down") throw new CallError(`daemon ${this.id} is down`);
    // A slow command (a stop waiting out a graceful_timeout) is not a gone daemon: only the
    // heartbeat says down, and closing the socket then ends the calls still waiting.
    return this.client.call(command, properties, {
      timeout: CALL_TIMEOUT,
      ...(origin ? { origin } : {}),
    });
  }

  /** The last `limit` events, oldest first. */
  recent(limit: number): KeptEvent[] {
    return this.ring.slice(Math.max(0, this.ring.length - limit));
  }

  /**
   * Follows the daemon's stats (reference-counted): subscribed to `stat.` only while a page
   * shows them, since circusd-stats samples nothing for nobody (1000 processes: 8% of a core
   * with a subscriber, under 1% without).
   */
  followStats(on: boolean): void {
    this.statsFollowers = Math.max(0, this.statsFollowers + (on ? 1 : -1));
    if (on && this.statsFollowers === 1) this.stats?.subscribe("stat.");
    if (!on && this.statsFollowers === 0) this.stats?.unsubscribe("stat.");
  }

  /** Follows a watcher's output (reference-counted per watcher). */
  followLogs(watcher: string, on: boolean): void {
    const topic = `logs.${watcher.toLowerCase()}.`;
    const count = (this.logTopics.get(topic) ?? 0) + (on ? 1 : -1);
    if (count <= 0) {
      this.logTopics.delete(topic);
      if (!on && count === 0) this.events?.unsubscribe(topic);
    } else {
      this.logTopics.set(topic, count);
      if (on && count === 1) this.events?.subscribe(topic);
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.client.close();
    this.events?.close();
    this.stats?.close();
  }

  private async beat(): Promise<void> {
    if (this.closed) return;
    try {
      const reply = await this.client.call("globaloptions", {}, { timeout: HEARTBEAT_TIMEOUT });
      if (this.state === "down") await this.up(reply);
    } catch (error) {
      this.down((error as Error).message);
    }
    if (!this.closed) this.timer = setTimeout(() => void this.beat(), HEARTBEAT_MS);
  }

  /**
   * The daemon answers (again): follows its pub/sub and stats endpoints, anew when it came
   * back with other ones (a circusd restarted with another config).
   */
  private async up(reply: CircusReply): Promise<void> {
    const options = (reply.options ?? {}) as Record<string, unknown>;
    const pubsub = typeof options.pubsub_endpoint === "string" ? options.pubsub_endpoint : null;
    if (pubsub !== this.eventsFrom) {
      this.events?.close();
      this.events = null;
      this.eventsFrom = pubsub;
      if (pubsub !== null) {
        const endpoint = await this.reach(reachable(pubsub, this.endpoint));
        this.events = new Subscriber({ endpoint, topics: [""], ...this.curveOption() });
        for (const topic of this.logTopics.keys()) this.events.subscribe(topic);
        void this.pump(this.events, (event) => this.onEvent(event));
      }
    }
    // Without --stats-endpoint, the daemon's own: an unbound endpoint costs a SUB nothing.
    if (!this.statsGiven && typeof options.stats_endpoint === "string")
      this.statsEndpoint = options.stats_endpoint;
    if (this.statsEndpoint !== this.statsFrom) {
      this.stats?.close();
      this.stats = null;
      this.statsFrom = this.statsEndpoint;
      if (this.statsEndpoint !== null) {
        const endpoint = await this.reach(reachable(this.statsEndpoint, this.endpoint));
        this.stats = new Subscriber({
          endpoint,
          topics: this.statsFollowers > 0 ? ["stat."] : [],
          ...this.curveOption(),
        });
        void this.pump(this.stats, (event) =>
          this.emit("stat", { topic: event.topic, data: event.data }),
        );
      }
    }
    this.state = "up";
    this.error = undefined;
    logger.info(`daemon ${this.id} (${this.endpoint}) is up`);
    this.emit("state");
  }

  private down(message: string): void {
    if (this.closed) return;
    const was = this.state;
    this.state = "down";
    this.error = `daemon ${this.id} (${this.endpoint}) does not answer: ${message}`;
    // A fresh socket: what the old one queued for a gone daemon must not run when it is back.
    this.client.close();
    this.client = this.newClient();
    if (was === "up") {
      logger.warning(this.error);
      this.emit("state");
    }
  }

  private onEvent(event: CircusEvent): void {
    if (event.topic.startsWith("logs.")) {
      this.emit("log", event);
      return;
    }
    const kept = { time: Date.now() / 1000, topic: event.topic, data: event.data };
    this.ring.push(kept);
    if (this.ring.length > RING_SIZE) this.ring.splice(0, this.ring.length - RING_SIZE);
    this.emit("event", kept);
  }

  private async pump(subscriber: Subscriber, handle: (event: CircusEvent) => void): Promise<void> {
    try {
      for await (const event of subscriber) handle(event);
    } catch (error) {
      if (!this.closed)
        logger.warning(`daemon ${this.id}: subscriber failed: ${(error as Error).message}`);
    }
  }
}
