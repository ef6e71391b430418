/**
 * What the subscribers of an XPUB socket want. A SUB cannot tell an XPUB from a PUB, and the
 * XPUB hears each topic prefix's first subscriber and its last leaving: a publisher can skip
 * the work of a message (encoding it, or sampling /proc for it) when nobody would receive it.
 */
import type { XPublisher } from "zeromq";

/** The topic prefixes subscribed to on an XPUB socket, kept up to date by {@link follow}. */
export class Subscriptions {
  private readonly prefixes = new Set<string>();

  /**
   * @param onChange called with each prefix gained (`true`) or lost (`false`)
   */
  constructor(private readonly onChange?: (prefix: string, subscribed: boolean) => void) {}

  /**
   * Reads the socket's subscription messages (byte 1 or 0, then the prefix) until it closes.
   * Resolves once the socket is closed.
   */
  async follow(socket: XPublisher): Promise<void> {
    try {
      for await (const [message] of socket) {
        if (!message || message.length === 0) continue;
        const prefix = message.subarray(1).toString("utf8");
        const subscribed = message[0] === 1;
        if (subscribed) this.prefixes.add(prefix);
        else this.prefixes.delete(prefix);
        this.onChange?.(prefix, subscribed);
      }
    } catch {
      // The socket was closed: no more subscriptions to follow.
    }
  }

  /** Whether someone would receive a message on `topic`. */
  wants(topic: string): boolean {
    for (const prefix of this.prefixes) if (topic.startsWith(prefix)) return true;
    return false;
  }

  /** Whether someone would receive some message whose topic starts with `start`. */
  wantsAny(start: string): boolean {
    for (const prefix of this.prefixes)
      if (prefix.startsWith(start) || start.startsWith(prefix)) return true;
    return false;
  }
}
