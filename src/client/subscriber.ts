/**
 * The events client: a ZeroMQ SUB socket on circusd's pub/sub endpoint, where every event is
 * two frames, a topic (`watcher.web.spawn`, ...) and a JSON body.
 */
import { Subscriber as ZmqSubscriber } from "zeromq";
import { curveSocketOptions, watchHandshakes, type CurveClient } from "./curve.js";
import { CallError, type HandshakeError } from "./errors.js";

/** circusd's default pub/sub endpoint. */
export const DEFAULT_PUBSUB_ENDPOINT = "tcp://127.0.0.1:5556";

/** One event as published by circusd. */
export interface CircusEvent {
  /** The topic frame, e.g. `watcher.web.spawn`. */
  topic: string;
  /** The JSON body, parsed; the body's text when it is not JSON. */
  data: unknown;
  /** The body exactly as received (what `circusctl listen` prints). */
  raw: string;
}

/** Options of {@link Subscriber}. */
export interface SubscriberOptions {
  /** The pub/sub endpoint; {@link DEFAULT_PUBSUB_ENDPOINT} by default. */
  endpoint?: string;
  /**
   * Topic prefixes to subscribe to at once (`""` is every topic). None by default: call
   * {@link Subscriber.subscribe}; a SUB socket without a subscription receives nothing.
   */
  topics?: string[];
  /** CURVE: this client's key pair and circusd's public key, as {@link ClientOptions.curve}. */
  curve?: CurveClient;
}

/**
 * Receives circusd's events.
 *
 * ```ts
 * const events = new Subscriber({ topics: ["watcher.web."] });
 * for await (const { topic, data } of events) console.log(topic, data);
 * ```
 *
 * ZeroMQ subscriptions reach the publisher asynchronously: events published in the first
 * moments after connecting may be missed (the "slow joiner"). Iteration ends after
 * {@link close}.
 */
export class Subscriber implements AsyncIterable<CircusEvent> {
  /** The endpoint this subscriber is connected to. */
  readonly endpoint: string;
  private readonly socket: ZmqSubscriber;
  private closed = false;
  /** A failed handshake: the iteration throws it (a SUB would otherwise wait forever). */
  private refused: HandshakeError | null = null;

  constructor(options: SubscriberOptions = {}) {
    this.endpoint = options.endpoint ?? DEFAULT_PUBSUB_ENDPOINT;
    this.socket = new ZmqSubscriber({ linger: 0, ...curveSocketOptions(options.curve) });
    watchHandshakes(this.socket, this.endpoint, options.curve !== undefined, (error) => {
      this.refused = error;
      // Ends the pending receive; the iteration then throws the handshake's error.
      this.socket.close();
    });
    try {
      this.socket.connect(this.endpoint);
    } catch (error) {
      this.socket.close();
      const text = error instanceof Error ? error.message : String(error);
      throw new CallError(`cannot connect to ${this.endpoint}: ${text}`);
    }
    for (const topic of options.topics ?? []) this.subscribe(topic);
  }

  /** Receives the events whose topic starts with `prefix` (`""`: every event). */
  subscribe(prefix = ""): void {
    this.socket.subscribe(prefix);
  }

  /** Stops receiving the events of a prefix given to {@link subscribe}. */
  unsubscribe(prefix = ""): void {
    this.socket.unsubscribe(prefix);
  }

  /** Waits for the next event. Rejects once the subscriber is closed. */
  async receive(): Promise<CircusEvent> {
    try {
      return toEvent(await this.socket.receive());
    } catch (error) {
      throw this.refused ?? error;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CircusEvent> {
    try {
      for await (const frames of this.socket) yield toEvent(frames);
    } catch (error) {
      if (this.refused) throw this.refused;
      // Closing the socket under a pending receive is how iteration is meant to end.
      if (!this.closed) throw error;
    }
    if (this.refused) throw this.refused;
  }

  /** Closes the socket; a pending iteration ends. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

function toEvent(frames: Buffer[]): CircusEvent {
  // Two frames, topic and body; a single frame is taken as a bare topic.
  const topic = frames[0]?.toString("utf8") ?? "";
  const raw = frames.length > 1 ? (frames[frames.length - 1] as Buffer).toString("utf8") : "";
  let data: unknown = raw;
  try {
    data = JSON.parse(raw);
  } catch {
    // not JSON: data stays the text
  }
  return { topic, data, raw };
}
