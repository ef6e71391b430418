/**
 * The driver's two sockets on a daemon: requests out and replies back (raw zeromq, or another
 * client library through a pipe), and every event of the pub/sub endpoint.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { Dealer, Subscriber } from "zeromq";
import { parsePythonJson } from "../../src/python/json.js";

/** After the events a golden step expects, how long a replay waits for more (ms). */
const REPLAY_GRACE = 150;
/** The longest any step may take to settle (ms). */
const SETTLE_LIMIT = 20_000;

/** Sends requests and reads replies: raw zeromq, or another client library through a pipe. */
export class Caller {
  private readonly dealer = new Dealer({ linger: 0 });
  private readonly replies: { text: string }[] = [];
  private bridge: ChildProcessWithoutNullStreams | null = null;
  private bridgeLines: string[] = [];
  private closed = false;

  constructor(
    readonly endpoint: string,
    client?: string[],
  ) {
    this.dealer.connect(endpoint);
    void this.receive();
    if (client) {
      const [command, ...args] = client as [string, ...string[]];
      this.bridge = spawn(command, [...args, endpoint], { stdio: "pipe" });
      createInterface({ input: this.bridge.stdout }).on("line", (l) => this.bridgeLines.push(l));
      this.bridge.stderr.setEncoding("utf8").on("data", (c: string) => process.stderr.write(c));
    }
  }

  private async receive(): Promise<void> {
    try {
      for await (const frames of this.dealer)
        this.replies.push({ text: String(frames[frames.length - 1]) });
    } catch (error) {
      if (!this.closed) throw error;
    }
  }

  /**
   * Sends one frame and waits (up to `timeout` ms) for its reply: the one carrying `id` when
   * given, else the first that is not a late answer to the driver's own polls. Null when none
   * came.
   */
  async raw(text: string, timeout: number, id?: string | null): Promise<string | null> {
    await this.dealer.send(text);
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const index = this.replies.findIndex((r) => {
        const replyId = idOf(r.text);
        if (id !== undefined) return replyId === id;
        return !(typeof replyId === "string" && /^ready-/.test(replyId));
      });
      if (index >= 0) return (this.replies.splice(index, 1)[0] as { text: string }).text;
      await sleep(10);
    }
    return null;
  }

  /** A request and its reply, through the client library when there is one. */
  async call(request: Record<string, unknown>, timeout = 20_000): Promise<string | null> {
    if (!this.bridge || request.msg_type === "cast")
      return this.raw(JSON.stringify(request), timeout, request.id as string);
    this.bridge.stdin.write(JSON.stringify(request) + "\n");
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const line = this.bridgeLines.shift();
      if (line !== undefined) return line;
      await sleep(10);
    }
    return null;
  }

  close(): void {
    this.closed = true;
    this.dealer.close();
    this.bridge?.stdin.end();
    this.bridge?.kill();
  }
}

/** The id of a reply's text, if it has one. */
function idOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { id?: unknown }).id;
  } catch {
    return undefined;
  }
}

/** Every event on the pub/sub endpoint, with its arrival time. */
export class Listener {
  private readonly socket = new Subscriber({ linger: 0 });
  readonly events: { topic: string; data: unknown; at: number }[] = [];
  private closed = false;

  constructor(endpoint: string) {
    this.socket.connect(endpoint);
    this.socket.subscribe("");
    void this.receive();
  }

  private async receive(): Promise<void> {
    try {
      for await (const [topic, data] of this.socket) {
        const text = String(data);
        let parsed: unknown = text;
        try {
          parsed = parsePythonJson(text);
        } catch {
          // kept as text: a payload that is not JSON is a difference worth seeing
        }
        this.events.push({ topic: String(topic), data: parsed, at: Date.now() });
      }
    } catch (error) {
      if (!this.closed) throw error;
    }
  }

  /**
   * Waits until the step has settled: when replaying, until every topic the golden step has
   * came as often (then a little longer, for any extra); when recording, until quiet.
   */
  async settle(from: number, quiet: number, expected: string[] | null): Promise<void> {
    const start = Date.now();
    for (;;) {
      const now = Date.now();
      if (now - start > SETTLE_LIMIT) return;
      if (expected !== null) {
        if (
          covers(
            this.events.slice(from).map((e) => e.topic),
            expected,
          )
        ) {
          await sleep(REPLAY_GRACE);
          return;
        }
      } else {
        const last = this.events[this.events.length - 1]?.at ?? 0;
        if (now - start >= quiet && now - Math.max(last, start) >= quiet) return;
      }
      await sleep(20);
    }
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }
}

/** True when `seen` holds every topic of `wanted` at least as many times. */
function covers(seen: string[], wanted: string[]): boolean {
  const counts = new Map<string, number>();
  for (const topic of seen) counts.set(topic, (counts.get(topic) ?? 0) + 1);
  for (const topic of wanted) {
    const n = counts.get(topic) ?? 0;
    if (n === 0) return false;
    counts.set(topic, n - 1);
  }
  return true;
}
