/**
 * The process kernel's wire, shared by the kernel and circusd: one JSON object per line each
 * way. Requests are `{"id", "cmd", ...}`; replies `{"id", "ok": true, ...}` or
 * `{"id", "ok": false, "error"}`; events (kernel to its owner) `{"event", ...}`. An `output`
 * event's line carries `len`, and that many raw bytes follow its newline, so that output
 * crosses without an encoding. A human may type `help` (no JSON) and read the answer.
 */

/** The longest line either side takes; a longer one is refused and the connection closed. */
export const MAX_LINE = 1024 * 1024;

/** A process's output kept while nobody acknowledges it; the oldest is dropped beyond. */
export const OUTPUT_KEPT = 2 * 1024 * 1024;

/** Output sent to the owner and not yet acknowledged, per process, before the kernel waits. */
export const OUTPUT_WINDOW = 512 * 1024;

/** How a hosted process ended. */
export interface HostedExit {
  code: number | null;
  signal: string | null;
  /** Epoch seconds. */
  time: number;
}

/** A process as `list` reports it. */
export interface HostedInfo {
  pid: number;
  /** Whatever its owner tagged it with at spawn (the kernel never reads it). */
  tag: unknown;
  /** Epoch seconds at spawn. */
  started: number;
  argv: string[];
  exit: HostedExit | null;
  /** Output kept, not yet acknowledged (bytes). */
  kept: number;
  /** Output dropped while nobody acknowledged it (bytes). */
  dropped: number;
}

/** A socket the kernel holds, as `socket` and `sockets` report it. */
export interface HeldSocket {
  name: string;
  /** Its fd in the kernel: the number its processes get it at, and `$(circus.sockets.NAME)`. */
  fd: number;
  port: number;
  /** The options it was bound with (compared when a circusd asks for it again). */
  spec: Record<string, unknown>;
}

/** An output event's header; `len` raw bytes follow. */
export interface OutputEvent {
  event: "output";
  pid: number;
  stream: "stdout" | "stderr";
  /** Per process, from 1: `ack` names the last one handled. */
  seq: number;
  /** Epoch milliseconds at which the kernel read it. */
  time: number;
  len: number;
}

/** A hosted process ended; sent after its last output. */
export interface ExitEvent {
  event: "exit";
  pid: number;
  exit: HostedExit;
  /** Output dropped while nobody acknowledged it (bytes), over its whole life. */
  dropped: number;
}

export type KernelEvent = OutputEvent | ExitEvent;

/** Encodes one message as its line. */
export function line(message: object): Buffer {
  return Buffer.from(JSON.stringify(message) + "\n");
}

/** A protocol error: bad JSON, a line too long, a bad frame. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/** What a reader hands on: a parsed line (or a bad one), with the raw bytes a `len` asked for. */
export type Frame =
  | { kind: "message"; message: Record<string, unknown>; payload: Buffer | null }
  | { kind: "text"; text: string }
  | { kind: "bad"; error: string };

/**
 * Cuts a byte stream into frames. A line that is not a JSON object comes out as `text` when it
 * is printable (a human's `help`), else `bad`; `expectPayload` says which messages carry
 * `len` raw bytes after them (only the kernel's output events).
 */
export class FrameReader {
  private buffered: Buffer[] = [];
  private size = 0;
  private pending: { message: Record<string, unknown>; len: number } | null = null;

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    private readonly expectPayload: (message: Record<string, unknown>) => number = () => 0,
  ) {}

  /**
   * Takes the next bytes.
   *
   * @throws ProtocolError when a line outgrows {@link MAX_LINE}: the connection is lost then.
   */
  push(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.size += chunk.length;
    for (;;) {
      if (this.pending) {
        if (this.size < this.pending.len) return;
        const data = this.take(this.pending.len);
        const { message } = this.pending;
        this.pending = null;
        this.onFrame({ kind: "message", message, payload: data });
        continue;
      }
      const all = this.peek();
      const end = all.indexOf(10);
      if (end < 0) {
        if (this.size > MAX_LINE) throw new ProtocolError(`a line longer than ${MAX_LINE} bytes`);
        return;
      }
      // The newline may come in the chunk that crosses the limit: the line is still too long.
      if (end > MAX_LINE) throw new ProtocolError(`a line longer than ${MAX_LINE} bytes`);
      const text = this.take(end + 1)
        .subarray(0, end)
        .toString("utf8")
        .replace(/\r$/, "");
      this.frame(text);
    }
  }

  private frame(text: string): void {
    if (text.trim() === "") return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      if (/^[\x20-\x7e]*$/.test(text)) this.onFrame({ kind: "text", text: text.trim() });
      else this.onFrame({ kind: "bad", error: "not JSON" });
      return;
    }
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      this.onFrame({ kind: "bad", error: "not a JSON object" });
      return;
    }
    const record = message as Record<string, unknown>;
    const len = this.expectPayload(record);
    if (len > 0) this.pending = { message: record, len };
    else this.onFrame({ kind: "message", message: record, payload: null });
  }

  private peek(): Buffer {
    if (this.buffered.length > 1) this.buffered = [Buffer.concat(this.buffered, this.size)];
    return this.buffered[0] ?? Buffer.alloc(0);
  }

  private take(n: number): Buffer {
    const all = this.peek();
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.size = rest.length;
    return out;
  }
}

export { parseKernelEndpoint, type KernelAddress } from "../config/values.js";
