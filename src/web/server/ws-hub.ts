/**
 * The WebSocket `/ws`: pages subscribe to a daemon's channels (`stats`, `events`,
 * `logs:WATCHER`) and get its stats (batched, at most every 500 ms), events, output lines,
 * and daemon up/down messages.
 */
import type http from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import type { CircusEvent } from "../../client/subscriber.js";
import type { Api } from "./api.js";
import type { Daemon, KeptEvent } from "./daemon.js";
import { MAX_FIELD_CHARS } from "./http-util.js";

/** Longest client message (API.md). */
const MAX_MESSAGE = 4 * 1024;
/** Stats frames are sent at most this often (ms). */
const STATS_BATCH_MS = 500;
/** Frames held per daemon between two batches; older ones are dropped. */
const STATS_MAX_FRAMES = 5000;
/** A client that does not read more than this is cut off rather than buffered for. */
const MAX_BUFFERED = 8 * 1024 * 1024;
/** Between two pings (ms): a peer that did not answer the last one is gone. */
const PING_MS = 30_000;

interface Client {
  socket: WebSocket;
  alive: boolean;
  /** daemon id -> channels. */
  channels: Map<string, Set<string>>;
}

/** The WebSocket side of the server. */
export class WsHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly clients = new Set<Client>();
  private readonly statsBatches = new Map<string, { topic: string; data: unknown }[]>();
  private statsTimer: NodeJS.Timeout | null = null;
  // Idle connections through proxies and NATs are dropped silently: pings keep them, and
  // find the peers that went without a close.
  private readonly pinger = setInterval(() => this.ping(), PING_MS).unref();

  constructor(
    private readonly api: Api,
    private readonly needsSession: boolean,
  ) {}

  /** Listens to a daemon's events, stats, output and state. */
  watch(daemon: Daemon): void {
    daemon.on("state", () =>
      this.broadcast(null, null, {
        type: "daemon",
        id: daemon.id,
        state: daemon.state,
        ...(daemon.state === "down" && daemon.error ? { error: daemon.error } : {}),
      }),
    );
    daemon.on("event", (event: KeptEvent) =>
      this.broadcast(daemon.id, "events", {
        type: "event",
        daemon: daemon.id,
        topic: event.topic,
        data: event.data,
      }),
    );
    daemon.on("stat", (frame) => {
      let batch = this.statsBatches.get(daemon.id);
      if (!batch) this.statsBatches.set(daemon.id, (batch = []));
      batch.push(frame);
      if (batch.length > STATS_MAX_FRAMES) batch.splice(0, batch.length - STATS_MAX_FRAMES);
      this.statsTimer ??= setTimeout(() => this.flushStats(), STATS_BATCH_MS);
    });
    daemon.on("log", (event: CircusEvent) => this.relayLog(daemon, event));
  }

  /** Takes an upgrade of `/ws`: origin and session checked, else 403. */
  upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const origin = request.headers.origin;
    const host = request.headers.host;
    const sameOrigin =
      typeof origin === "string" &&
      typeof host === "string" &&
      (origin === `http://${host}` || origin === `https://${host}`);
    const session = this.api.session(request);
    if (!sameOrigin || (this.needsSession && !session)) {
      socket.end(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 10\r\n\r\nforbidden\n",
      );
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
  }

  close(): void {
    clearInterval(this.pinger);
    if (this.statsTimer) clearTimeout(this.statsTimer);
    for (const client of this.clients) client.socket.terminate();
    this.wss.close();
  }

  private accept(socket: WebSocket): void {
    const client: Client = { socket, alive: true, channels: new Map() };
    socket.on("pong", () => (client.alive = true));
    this.clients.add(client);
    socket.on("message", (data: RawData, binary: boolean) => this.onMessage(client, data, binary));
    socket.on("close", () => this.drop(client));
    socket.on("error", () => this.drop(client));
  }

  private ping(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  private drop(client: Client): void {
    if (!this.clients.delete(client)) return;
    for (const [id, channels] of client.channels) this.follow(id, channels, false);
  }

  private onMessage(client: Client, data: RawData, binary: boolean): void {
    const error = (message: string) => send(client.socket, { type: "error", message });
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (binary) return error("expected a JSON text message");
    if (bytes.length > MAX_MESSAGE) return error(`message too long (at most ${MAX_MESSAGE} bytes)`);
    let message: unknown;
    try {
      message = JSON.parse(bytes.toString("utf8"));
    } catch {
      return error("bad JSON");
    }
    if (typeof message !== "object" || message === null) return error("expected a JSON object");
    const { type, daemon: id, channels } = message as Record<string, unknown>;
    if (type !== "subscribe" && type !== "unsubscribe")
      return error(
        `unknown message type ${JSON.stringify(type)}: expected subscribe or unsubscribe`,
      );
    if (typeof id !== "string" || !this.api.daemons.has(id))
      return error(`no daemon ${String(id)}`);
    if (
      !Array.isArray(channels) ||
      !channels.every((c) => typeof c === "string" && validChannel(c))
    )
      return error('channels: expected a list of "stats", "events" or "logs:WATCHER"');
    const own = client.channels.get(id) ?? new Set<string>();
    client.channels.set(id, own);
    const on = type === "subscribe";
    const changed = (channels as string[]).filter((c) => own.has(c) !== on);
    for (const c of changed) {
      if (on) own.add(c);
      else own.delete(c);
    }
    this.follow(id, new Set(changed), on);
  }

  /** Tells the daemon which watchers' output, and whether its stats, someone follows. */
  private follow(id: string, channels: Set<string>, on: boolean): void {
    const daemon = this.api.daemons.get(id);
    if (!daemon) return;
    for (const c of channels) {
      if (c.startsWith("logs:")) daemon.followLogs(c.slice(5), on);
      else if (c === "stats") daemon.followStats(on);
    }
  }

  private relayLog(daemon: Daemon, event: CircusEvent): void {
    const data = event.data as Record<string, unknown>;
    if (typeof data !== "object" || data === null) return;
    const watcher = String(data.watcher ?? "");
    const text = typeof data.data === "string" ? data.data : "";
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    if (lines.length === 0) return;
    // Channel names are lower-cased as circusd's topics are.
    this.broadcast(daemon.id, `logs:${watcher.toLowerCase()}`, {
      type: "log",
      daemon: daemon.id,
      watcher,
      pid: data.pid,
      stream: data.stream,
      lines,
    });
  }

  private flushStats(): void {
    this.statsTimer = null;
    for (const [id, frames] of this.statsBatches)
      if (frames.length > 0) this.broadcast(id, "stats", { type: "stats", daemon: id, frames });
    this.statsBatches.clear();
  }

  /** Sends to the clients subscribed to a daemon's channel (every client when null). */
  private broadcast(id: string | null, channel: string | null, message: unknown): void {
    let text: string | null = null;
    for (const client of this.clients) {
      if (id !== null && channel !== null) {
        const channels = client.channels.get(id);
        const match =
          channels?.has(channel) ||
          (channel.startsWith("logs:") &&
            [...(channels ?? [])].some(
              (c) => c.startsWith("logs:") && c.toLowerCase() === channel,
            ));
        if (!match) continue;
      }
      text ??= JSON.stringify(message);
      if (client.socket.bufferedAmount > MAX_BUFFERED) {
        client.socket.terminate();
        continue;
      }
      if (client.socket.readyState === WebSocket.OPEN) client.socket.send(text);
    }
  }
}

function validChannel(channel: string): boolean {
  if (channel === "stats" || channel === "events") return true;
  return /^logs:[A-Za-z0-9_.-]{1,128}$/.test(channel) && channel.length <= MAX_FIELD_CHARS;
}

function send(socket: WebSocket, message: unknown): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}
