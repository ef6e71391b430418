/**
 * The WebSocket of src/web/API.md: one connection for the page, channels subscribed by the
 * views that need them (ref-counted, so two views on one channel do not unsubscribe each
 * other), re-subscribed after a reconnection.
 */

/** A `stats` message: the circusd-stats frames of the last half second. */
export interface StatsMessage {
  type: "stats";
  daemon: string;
  frames: { topic: string; data: Record<string, unknown> }[];
}

/** An `event` message: one circusd event. */
export interface EventMessage {
  type: "event";
  daemon: string;
  topic: string;
  data: Record<string, unknown>;
}

/** A `log` message: lines a process wrote. */
export interface LogMessage {
  type: "log";
  daemon: string;
  watcher: string;
  pid: number;
  stream: string;
  lines: string[];
}

/** A `daemon` message: a daemon came up or went down. */
export interface DaemonMessage {
  type: "daemon";
  id: string;
  state: "up" | "down";
  error?: string;
}

/** Anything the server sends. */
export type ServerMessage =
  StatsMessage | EventMessage | LogMessage | DaemonMessage | { type: "error"; message: string };

type Listener = (m: ServerMessage) => void;

/** The page's connection; {@link connect} opens it. */
export class Socket {
  private ws: WebSocket | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly subs = new Map<string, number>(); // "daemon\0channel" -> refs
  private retry = 500;
  private closed = false;
  /** Called with true once connected, false when the connection drops. */
  onState: (up: boolean) => void = () => {};

  /** Opens the connection, and reopens it (backing off to 10 s) until {@link close}. */
  open(): void {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/ws`);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 500;
      this.onState(true);
      const byDaemon = new Map<string, string[]>();
      for (const key of this.subs.keys()) {
        const [d, ch] = key.split("\0") as [string, string];
        byDaemon.set(d, [...(byDaemon.get(d) ?? []), ch]);
      }
      for (const [d, chs] of byDaemon) this.send("subscribe", d, chs);
    };
    ws.onmessage = (e) => {
      let m: ServerMessage;
      try {
        m = JSON.parse(String(e.data)) as ServerMessage;
      } catch {
        return;
      }
      for (const l of this.listeners) l(m);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onState(false);
      if (this.closed) return;
      setTimeout(() => this.open(), this.retry);
      this.retry = Math.min(this.retry * 2, 10_000);
    };
  }

  /** Closes for good (logout). */
  close(): void {
    this.closed = true;
    this.ws?.close();
  }

  /** Listens to every message; returns the function that stops it. */
  listen(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Subscribes to channels of a daemon; returns the function that unsubscribes them. */
  subscribe(daemon: string, channels: string[]): () => void {
    const fresh: string[] = [];
    for (const ch of channels) {
      const key = `${daemon}\0${ch}`;
      const n = this.subs.get(key) ?? 0;
      this.subs.set(key, n + 1);
      if (n === 0) fresh.push(ch);
    }
    if (fresh.length > 0) this.send("subscribe", daemon, fresh);
    return () => {
      const gone: string[] = [];
      for (const ch of channels) {
        const key = `${daemon}\0${ch}`;
        const n = (this.subs.get(key) ?? 1) - 1;
        if (n <= 0) {
          this.subs.delete(key);
          gone.push(ch);
        } else this.subs.set(key, n);
      }
      if (gone.length > 0) this.send("unsubscribe", daemon, gone);
    };
  }

  private send(type: string, daemon: string, channels: string[]): void {
    if (this.ws?.readyState === WebSocket.OPEN)
      this.ws.send(JSON.stringify({ type, daemon, channels }));
  }
}
