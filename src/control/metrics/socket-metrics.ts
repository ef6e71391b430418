/**
 * Per-socket metrics: the connections that arrived on each `[socket:NAME]` circusd bound,
 * counted by the native helper's thread from the moment the socket is bound (no timer runs in
 * circusd), added up at each scrape. The count is a lower bound: a connection a worker
 * accepts before the thread looks is missed (see stats/socket-hits.ts).
 */
import type { Arbiter } from "../../core/arbiter.js";
import { logger } from "../../log/logger.js";
import type { CircusSocket } from "../../sockets/index.js";
import { SocketHits } from "../../stats/socket-hits.js";
import { type Exposition, labelText } from "./exposition.js";

const NAME = "circus_socket_hits_total";

/**
 * Whether a socket's arrivals can be seen: an so_reuseport socket does not listen (each worker
 * listens on a sibling of its own, which circusd does not keep), and the process kernel's fd is
 * not circusd's, so neither has a series.
 */
function countable(socket: CircusSocket): boolean {
  return socket.fd >= 0 && !socket.hasSiblings() && !socket.info().papa;
}

/** Counts the bound sockets' hits and writes them. */
export class SocketMetrics {
  private hits: SocketHits | null = null;
  /** The sockets `hits` counts, in its order. */
  private counted: CircusSocket[] = [];
  /** Hits so far, by socket name. */
  private readonly totals = new Map<string, number>();
  private readonly onSockets = (): void => this.follow();

  constructor(private readonly arbiter: Arbiter) {}

  /** Counts the sockets bound now, and those bound later. */
  start(): void {
    this.arbiter.on("sockets", this.onSockets);
    this.follow();
  }

  /** Stops counting. */
  close(): void {
    this.arbiter.off("sockets", this.onSockets);
    this.take();
    this.hits?.close();
    this.hits = null;
    this.counted = [];
  }

  /** Writes the totals of the sockets counted now. */
  write(out: Exposition): void {
    this.take();
    out.family(
      NAME,
      "counter",
      "Connections that arrived on the socket (a lower bound: one a worker accepts at once may be missed).",
    );
    for (const socket of this.counted)
      out.sample(NAME, labelText({ socket: socket.name }), this.totals.get(socket.name) ?? 0);
  }

  /** Adds the hits since the previous take to the totals. */
  private take(): void {
    if (!this.hits) return;
    this.hits.take().forEach((reads, i) => {
      const name = (this.counted[i] as CircusSocket).name;
      this.totals.set(name, (this.totals.get(name) ?? 0) + reads.reads);
    });
  }

  /**
   * The bound sockets changed: what was counted is kept, then counting starts over on the new
   * set (sockets that stay keep their totals; those that left lose theirs).
   */
  private follow(): void {
    const next = this.arbiter.boundSockets.filter(countable);
    if (next.length === this.counted.length && next.every((s, i) => s === this.counted[i])) return;
    this.take();
    this.hits?.close();
    this.counted = next;
    this.hits = null;
    const names = new Set(next.map((s) => s.name));
    for (const name of this.totals.keys()) if (!names.has(name)) this.totals.delete(name);
    if (next.length === 0) return;
    try {
      this.hits = new SocketHits(
        next.map((s) => ({ fd: s.fd, address: s.config.path ?? `${s.config.host}:${s.port}` })),
      );
    } catch (error) {
      // Called from the arbiter's start or reload: a metric must not fail them.
      logger.warning(`metrics: cannot count the sockets' hits: ${(error as Error).message}`);
      this.counted = [];
    }
  }
}
