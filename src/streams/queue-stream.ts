/** QueueStream: output kept in memory for a program that reads it (the library API). */
import { StreamOptions } from "./options.js";
import type { OutputStream, StreamData } from "./types.js";

/**
 * A bounded queue of output pieces: `get()` waits for the next one. When `maxsize` pieces
 * (default 1000) wait unread, the child is slowed until some are read — memory stays bounded.
 */
export class QueueStream implements OutputStream, AsyncIterable<StreamData> {
  static readonly options: readonly string[] = ["maxsize"];
  readonly maxsize: number;
  private readonly items: StreamData[] = [];
  private readonly getters: ((data: StreamData) => void)[] = [];
  private readonly room: (() => void)[] = [];

  constructor(options: Record<string, string> = {}) {
    this.maxsize = new StreamOptions(options).integer("maxsize", 1000, 1);
  }

  /** Pieces waiting to be read. */
  get size(): number {
    return this.items.length;
  }

  write(data: StreamData): Promise<void> | undefined {
    const getter = this.getters.shift();
    if (getter) {
      getter(data);
      return undefined;
    }
    this.items.push(data);
    if (this.items.length < this.maxsize) return undefined;
    return new Promise((resolve) => this.room.push(resolve));
  }

  /** The next piece, waiting for one if none is queued. */
  get(): Promise<StreamData> {
    const data = this.getNowait();
    if (data) return Promise.resolve(data);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** The next piece, or undefined when none is queued. */
  getNowait(): StreamData | undefined {
    const data = this.items.shift();
    if (data && this.items.length < this.maxsize) for (const go of this.room.splice(0)) go();
    return data;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamData> {
    for (;;) yield await this.get();
  }
}
