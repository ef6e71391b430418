/**
 * A fire-and-forget statsd client over UDP, as Circus's `StatsdClient`: one datagram per
 * metric, `bucket:value|type`, with `|@rate` when a sample rate other than 1 is set.
 */
import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import { logger } from "../../log/logger.js";

/** Where and how metrics are sent. */
export interface StatsdClientOptions {
  /** The statsd daemon's host name or address. */
  host: string;
  /** The statsd daemon's UDP port. */
  port: number;
  /** Prepended to every bucket, with a dot (`circus.app.watcher`); none when empty. */
  prefix?: string;
  /** The rate written after `|@`; 1 writes none. */
  sampleRate?: number;
}

/**
 * Sends counters, gauges and timers. Sending never throws and never waits: a metric that
 * cannot be sent (no such host, no route) is dropped, which is what statsd clients do so
 * that metrics never get in the way of the supervised work.
 */
export class StatsdClient {
  readonly host: string;
  readonly port: number;
  readonly prefix: string;
  readonly sampleRate: number;
  private socket: dgram.Socket | null = null;
  private closed = false;
  private warned = false;

  constructor({ host, port, prefix = "", sampleRate = 1 }: StatsdClientOptions) {
    this.host = host;
    this.port = port;
    this.prefix = prefix;
    this.sampleRate = sampleRate;
  }

  /** The socket, opened at the first metric: a client that never sends holds no descriptor. */
  private open(): dgram.Socket | null {
    if (this.socket || this.closed) return this.socket;
    const socket = dgram.createSocket(isIPv6(this.host) ? "udp6" : "udp4");
    // A send error is reported here too (as well as to the send callback): never crash on it.
    socket.on("error", (error) => this.dropped(error));
    // Metrics are best effort: a pending datagram must not keep the plugin process alive.
    socket.unref();
    this.socket = socket;
    return socket;
  }

  /**
   * Sends `bucket:value` (the bucket prefixed). Like the reference, every metric is sent
   * and only tagged with the rate: statsd scales what it receives by it.
   */
  send(bucket: string, value: string, sampleRate = this.sampleRate): void {
    const socket = this.open();
    if (!socket) return;
    const tagged = sampleRate !== 1 ? `${value}|@${sampleRate}` : value;
    const name = this.prefix ? `${this.prefix}.${bucket}` : bucket;
    try {
      socket.send(`${name}:${tagged}`, this.port, this.host, (error) => {
        if (error) this.dropped(error);
      });
    } catch (error) {
      // Thrown synchronously only when the socket is already closed or the port is invalid.
      this.dropped(error as Error);
    }
  }

  /** A counter: `bucket:delta|c`. */
  increment(bucket: string, delta = 1): void {
    this.send(bucket, `${Math.trunc(delta)}|c`);
  }

  /** A gauge: `bucket:value|g`. */
  gauge(bucket: string, value: number): void {
    this.send(bucket, `${value}|g`);
  }

  /** A timing in milliseconds: `bucket:value|ms`. */
  timed(bucket: string, value: number): void {
    this.send(bucket, `${value}|ms`);
  }

  /** Closes the socket; later metrics are dropped. */
  close(): void {
    const socket = this.socket;
    this.socket = null;
    this.closed = true;
    try {
      socket?.close();
    } catch {
      // already closed
    }
  }

  /** Says once that metrics are being lost, then stays quiet (one line per failure floods). */
  private dropped(error: Error): void {
    if (this.warned) return;
    this.warned = true;
    logger.warning(`statsd: cannot send to ${this.host}:${this.port}: ${error.message}`);
  }
}
