/**
 * zeromq.js allows one send in progress per socket: messages wait here, in order. The queue
 * is bounded so that a peer that never reads cannot grow the daemon: past the bound the
 * oldest waiting message is dropped, as ZeroMQ itself drops past its high-water mark.
 */
import { logger } from "../log/logger.js";

/** A socket's send, as zeromq.js gives it. */
export type SendFn = (frames: Buffer[]) => Promise<void>;

export class SendQueue {
  private readonly waiting: Buffer[][] = [];
  private busy = false;
  private closed = false;

  constructor(
    private readonly send: SendFn,
    private readonly limit = 10_000,
  ) {}

  /** Queues a message; it goes out after the ones before it. */
  push(frames: Buffer[]): void {
    if (this.closed) return;
    if (this.waiting.length >= this.limit) this.waiting.shift();
    this.waiting.push(frames);
    if (!this.busy) void this.pump();
  }

  /** Resolves once every queued message has been handed to the socket. */
  async drain(): Promise<void> {
    while (this.busy || this.waiting.length > 0) await new Promise((r) => setTimeout(r, 1));
  }

  /** Drops what is still waiting and refuses new messages. */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
  }

  private async pump(): Promise<void> {
    this.busy = true;
    try {
      for (let frames = this.waiting.shift(); frames; frames = this.waiting.shift()) {
        try {
          await this.send(frames);
        } catch (error) {
          if (this.closed) return;
          logger.debug(`could not send a message: ${(error as Error).message}`);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}
