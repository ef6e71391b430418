/**
 * Raw ZeroMQ access to a test circusd, without the project's client library: a DEALER that
 * sends JSON frames and matches replies by id, and a SUB that records every event. Proves
 * the wire shape on its own terms.
 */
import { randomUUID } from "node:crypto";
import { Dealer, Subscriber } from "zeromq";
import {
  iniSection,
  testEndpoints,
  waitFor,
  type Circusd,
  type SectionOptions,
} from "./circusd.js";
import { defer } from "./cleanup.js";

/** A reply as it came on the wire. */
export type Reply = Record<string, unknown> & { status: string; id: unknown };

/** A DEALER on the control endpoint. */
export class RawClient {
  readonly dealer = new Dealer({ linger: 0 });
  /** Replies nobody waits for by id (id null, or sent raw), in arrival order. */
  readonly unmatched: Reply[] = [];
  private readonly waiting = new Map<string, (reply: Reply) => void>();
  private sending: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Ids of requests given up on: a late reply to one is no "unmatched" reply. */
  private readonly abandoned = new Set<string>();

  constructor(readonly endpoint: string) {
    this.dealer.connect(endpoint);
    void this.receive();
  }

  private async receive(): Promise<void> {
    try {
      for await (const frames of this.dealer) {
        const reply = JSON.parse(String(frames[frames.length - 1])) as Reply;
        const resolve = typeof reply.id === "string" ? this.waiting.get(reply.id) : undefined;
        if (resolve) {
          this.waiting.delete(reply.id as string);
          resolve(reply);
        } else if (!(typeof reply.id === "string" && this.abandoned.delete(reply.id))) {
          this.unmatched.push(reply);
        }
      }
    } catch (error) {
      if (!this.closed) throw error;
    }
  }

  /** Sends frames as they are (one send at a time, as zeromq.js wants). */
  send(...frames: (string | Buffer)[]): Promise<void> {
    const next = this.sending.then(() => this.dealer.send(frames));
    this.sending = next.catch(() => undefined);
    return next;
  }

  /** Sends a request and waits for the reply with its id. */
  async call(
    command: string,
    properties: Record<string, unknown> = {},
    { timeout = 10_000, extra = {} }: { timeout?: number; extra?: Record<string, unknown> } = {},
  ): Promise<Reply> {
    const id = randomUUID();
    return this.request({ id, command, properties, ...extra }, id, timeout);
  }

  /** Sends any JSON-able request and waits for the reply carrying `id`. */
  async request(body: unknown, id: string, timeout = 10_000): Promise<Reply> {
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        // Its reply may still come (a slow machine): it belongs to nobody then.
        this.abandoned.add(id);
        reject(new Error(`no reply to ${JSON.stringify(body).slice(0, 200)} in ${timeout} ms`));
      }, timeout);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    await this.send(typeof body === "string" ? body : JSON.stringify(body));
    return reply;
  }

  /** Waits for the next reply that matched no id. */
  async nextUnmatched(timeout = 10_000): Promise<Reply> {
    return waitFor(() => this.unmatched.shift(), { timeout, message: "an unmatched reply" });
  }

  close(): void {
    this.closed = true;
    this.dealer.close();
  }
}

/** One event as received: the topic frame and the parsed JSON frame. */
export interface Event {
  topic: string;
  data: Record<string, unknown>;
}

/** A SUB on the pub/sub endpoint that records everything. */
export class EventLog {
  readonly sub = new Subscriber({ linger: 0 });
  readonly events: Event[] = [];
  private closed = false;

  constructor(readonly endpoint: string) {
    this.sub.connect(endpoint);
    this.sub.subscribe();
    void this.receive();
  }

  private async receive(): Promise<void> {
    try {
      for await (const [topic, body] of this.sub) {
        this.events.push({ topic: String(topic), data: JSON.parse(String(body)) });
      }
    } catch (error) {
      if (!this.closed) throw error;
    }
  }

  /** Waits for an event on `topic` (and matching `where`), and returns it. */
  async waitFor(topic: string, where: (e: Event) => boolean = () => true): Promise<Event> {
    return waitFor(() => this.events.find((e) => e.topic === topic && where(e)), {
      message: () => `an event ${topic}; got so far: ${this.events.map((e) => e.topic).join(", ")}`,
    });
  }

  close(): void {
    this.closed = true;
    this.sub.close();
  }
}

/** A RawClient on a test circusd, once it answers. Closed at cleanup. */
export async function connect(d: Circusd, file = "circus.ini"): Promise<RawClient> {
  const client = new RawClient(testEndpoints(d.dir, file).endpoint as string);
  defer(() => client.close());
  await waitFor(() => client.call("numwatchers", {}, { timeout: 500 }).then(() => true), {
    message: () => `circusd to answer on its endpoint; log:\n${d.log}\n${d.stderr}`,
  });
  return client;
}

/** An EventLog on a test circusd's pub/sub endpoint. Closed at cleanup. */
export function listen(d: Circusd, file = "circus.ini"): EventLog {
  const log = new EventLog(testEndpoints(d.dir, file).pubsub_endpoint as string);
  defer(() => log.close());
  return log;
}

/**
 * A watcher of /bin/sleep (cheap, for many processes). The [env:NAME] section carries the
 * test folder, so that cleanup finds and kills its processes.
 */
export function sleeperSection(
  dir: string,
  name: string,
  options: SectionOptions = {},
  cmd = "/bin/sleep 1000",
): string {
  const watcher = iniSection(`watcher:${name}`, [`cmd = ${cmd}`], {
    graceful_timeout: 1,
    ...options,
  });
  return `${watcher}\n[env:${name}]\nCIRCUS_IT_MARKER = ${dir}\n\n`;
}
