/**
 * Socket hits, the "reads" of a socket in the stats stream and in the metrics: the
 * connections that arrived on a listening socket since the previous reading, as far as the
 * kernel lets a bystander see them. A thread of the native helper waits on the sockets
 * (edge-triggered epoll; an idle socket costs no wake-up) and counts each arrival it finds
 * still waiting: a worker that accepts within microseconds hides some, so this is a lower
 * bound (20 quick connections to a Node server count about 9). Circus samples readiness every
 * 10 ms instead, which hides most arrivals to a fast worker (2 of the same 20) and counts a
 * backlog that nobody takes 100 times a second.
 */
import { native } from "../sys/native.js";

/** A socket to count, as `listsockets` describes it. */
export interface CountedSocket {
  fd: number;
  /** `host:port`, or the path of a unix socket. */
  address: string;
}

/** One socket's hits since the previous {@link SocketHits.take}. */
export interface SocketReads extends CountedSocket {
  reads: number;
}

/** Counts the hits of a fixed set of listening sockets until closed. */
export class SocketHits {
  private handle: object | null;

  constructor(readonly sockets: readonly CountedSocket[]) {
    this.handle =
      sockets.length > 0 ? native().countHits(Int32Array.from(sockets, (s) => s.fd)) : null;
  }

  /** Each socket's hits since the previous take, in the order given. */
  take(): SocketReads[] {
    const counts = this.handle ? native().takeHits(this.handle) : [];
    return this.sockets.map((s, i) => ({ ...s, reads: counts[i] ?? 0 }));
  }

  /** Stops counting; idempotent. */
  close(): void {
    if (this.handle) native().stopHits(this.handle);
    this.handle = null;
  }
}
