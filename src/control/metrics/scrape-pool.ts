/**
 * Scrapes lent to the HTTP requests that asked for them, in a buffer written again by a later
 * scrape once every request let go of it. A fresh Buffer per scrape lives outside V8's heap
 * and is freed only when a collection finds it: an idle circusd collects seldom, and 280 KB
 * scrapes of 1000 processes piled up to 30 MiB of its RSS before one did.
 */
import { Exposition } from "./exposition.js";

/** One scrape's text, lent: `release` once it is sent (or will never be). */
export interface Lease {
  readonly bytes: Buffer;
  release(): void;
}

/** A scrape being built or sent, and the requests holding it. */
interface Shared {
  built: Promise<Exposition>;
  users: number;
}

/** Builds scrapes on demand, one at a time, and lends them out. */
export class ScrapePool {
  private spare: Buffer | null = null;
  private building: Shared | null = null;

  /** @param build writes one scrape into the exposition it is given */
  constructor(private readonly build: (out: Exposition) => Promise<void>) {}

  /**
   * The scrape being built, or a new one: a burst of requests costs one scrape. Its bytes are
   * not written again until every lease is released.
   */
  async lease(): Promise<Lease> {
    const shared = (this.building ??= this.start());
    shared.users++;
    let out: Exposition;
    try {
      out = await shared.built;
    } catch (error) {
      shared.users--;
      throw error;
    }
    let released = false;
    return {
      bytes: out.bytes(),
      release: () => {
        if (released) return;
        released = true;
        if (--shared.users > 0) return;
        // Kept for the next scrape: the biggest seen, so that it rarely grows again.
        const storage = out.storage();
        if (!this.spare || this.spare.length < storage.length) this.spare = storage;
      },
    };
  }

  private start(): Shared {
    const out = new Exposition(this.spare ?? undefined);
    this.spare = null;
    const shared: Shared = { built: this.build(out).then(() => out), users: 0 };
    // Requests from now on start the next scrape; this one stays lent until released.
    void shared.built.then(
      () => this.finished(shared),
      () => this.finished(shared),
    );
    return shared;
  }

  private finished(shared: Shared): void {
    if (this.building === shared) this.building = null;
  }
}
