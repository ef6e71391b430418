/**
 * The live half of `circusctl logs -f`: while a subscriber of the pub/sub endpoint asks for
 * a topic starting with `logs.`, the output of the watchers it covers is published on
 * `logs.<watcher>.<pid>.<stream>`. Output is gathered for a short while and sent as one
 * message per process and pipe, and what does not fit is counted, not queued: following a
 * process that writes a gigabyte a second costs the daemon a bounded amount.
 */
import type { Arbiter } from "../core/arbiter.js";
import type { StreamData } from "../streams/index.js";
import { logsTopic } from "./commands/logs.js";

/** How long output is gathered before it is published (ms). */
const BATCH_MS = 50;
/** Bytes one batch of one process and pipe may hold; the rest is skipped and counted. */
const BATCH_BYTES = 256 * 1024;

interface Batch {
  data: StreamData;
  parts: Buffer[];
  bytes: number;
  skipped: number;
}

/** Publishes followed watchers' output; told of subscriptions by the publisher. */
export class LogFollow {
  /** The `logs.` topics someone subscribes to. */
  private readonly topics = new Set<string>();
  private readonly batches = new Map<string, Batch>();
  private timer: NodeJS.Timeout | null = null;
  private readonly onData = (data: StreamData) => this.gather(data);

  constructor(
    private readonly arbiter: Arbiter,
    private readonly publish: (topic: string, data: Record<string, unknown>) => void,
  ) {}

  /** A subscription (`on`) or its end, as the XPUB socket reports it. */
  subscription(topic: string, on: boolean): void {
    if (!topic.startsWith("logs.")) return;
    if (on) this.topics.add(topic);
    else this.topics.delete(topic);
    this.refresh();
  }

  /** Listens to exactly the followed watchers (call again when watchers come and go). */
  refresh(): void {
    for (const watcher of this.arbiter.iterWatchers()) {
      watcher.output.listener = this.followed(watcher.name) ? this.onData : null;
    }
  }

  private followed(name: string): boolean {
    const own = logsTopic(name);
    for (const topic of this.topics)
      if (own.startsWith(topic) || topic.startsWith(own)) return true;
    return false;
  }

  private gather(data: StreamData): void {
    const key = `${data.watcher}\0${data.pid}\0${data.name}`;
    let batch = this.batches.get(key);
    if (!batch) this.batches.set(key, (batch = { data, parts: [], bytes: 0, skipped: 0 }));
    if (batch.bytes + data.data.length <= BATCH_BYTES) {
      batch.parts.push(data.data);
      batch.bytes += data.data.length;
    } else {
      batch.skipped += data.data.length;
    }
    this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  /** Publishes what was gathered. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const { data, parts, skipped } of this.batches.values()) {
      this.publish(`${logsTopic(data.watcher)}${data.pid}.${data.name}`, {
        watcher: data.watcher,
        pid: data.pid,
        stream: data.name,
        time: Date.now() / 1000,
        data: Buffer.concat(parts).toString("utf8"),
        skipped,
      });
    }
    this.batches.clear();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.topics.clear();
    this.refresh();
  }
}
