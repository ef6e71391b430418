/**
 * A persistent client of a daemon's own control interface, one per system
 * (ZeroMQ for both Circuses, XML-RPC for Supervisor, axon RPC for PM2), so a
 * scenario can time round trips the same way against each.
 */
import { existsSync } from "node:fs";
import { Client } from "../../src/client/index.ts";

/** What one call got back. */
export interface RpcReply {
  /** The daemon's error text when it answered with an error (Circus `status: "error"`,
   * an XML-RPC fault, a PM2 error); undefined for a good reply. */
  error?: string;
  /** Items in the reply when it lists processes (e.g. the pids of `stats`), for the report. */
  items?: number;
}

/** A client kept open across calls; `call` rejects on transport failures only. */
export interface ControlRpc {
  /** How the calls travel, for the report (e.g. "ZeroMQ DEALER, JSON"). */
  readonly transport: string;
  /** The two calls a responsiveness probe alternates, e.g. `status` and `list`. */
  readonly probeCalls: readonly [string, string];
  /** The call that reads every process's resource figures (Circus `stats`), if any. */
  readonly statsCall?: string;
  /** True once the control socket exists: no call is made before (no queueing while the daemon boots). */
  ready(): boolean;
  /**
   * One round trip of `command` (one of the names above). Rejects on a transport failure, and
   * after `timeoutMs` (then frees what the call held; a late reply is dropped). Use
   * {@link timedCall} to time it.
   */
  call(command: string, timeoutMs: number): Promise<RpcReply>;
  /** Frees the connection; never throws. */
  close(): void;
}

/** Path of an `ipc://` endpoint's socket file (undefined for tcp://). */
function ipcPath(endpoint: string): string | undefined {
  return endpoint.startsWith("ipc://") ? endpoint.slice("ipc://".length) : undefined;
}

/**
 * Circus's control protocol (ours and Python Circus 0.19 speak the same): JSON
 * `{"id", "command", "properties"}` over one ZeroMQ DEALER, the reply matched by id.
 * `stats` asks for the figures of every process of `watcher`.
 */
export function circusRpc(endpoint: string, watcher: string): ControlRpc {
  const client = new Client({ endpoint });
  const socketFile = ipcPath(endpoint);
  const properties: Record<string, Record<string, unknown>> = {
    status: {},
    list: {},
    stats: { name: watcher },
  };
  return {
    transport: "ZeroMQ DEALER, Circus JSON",
    probeCalls: ["status", "list"],
    statsCall: "stats",
    ready: () => socketFile === undefined || existsSync(socketFile),
    async call(command, timeoutMs) {
      const reply = await client.call(command, properties[command] ?? {}, {
        timeout: timeoutMs / 1000,
      });
      if (reply.status === "error") {
        return { error: typeof reply.reason === "string" ? reply.reason : JSON.stringify(reply) };
      }
      const info = reply.info;
      return typeof info === "object" && info !== null ? { items: Object.keys(info).length } : {};
    },
    close: () => client.close(),
  };
}

/** The outcome of {@link timedCall}. */
export interface TimedCall {
  command: string;
  /** Round trip time, ms (the timeout for a timeout). */
  ms: number;
  /** A good reply, an error reply, no reply within the timeout, or a transport failure. */
  outcome: "ok" | "error" | "timeout" | "failed";
  /** The error reply's or the failure's text. */
  text?: string;
  items?: number;
}

/** Slack given to a client's own timer, so that the race below always decides a timeout. */
const CLIENT_SLACK_MS = 1_000;

/**
 * One round trip of `command`, timed with performance.now(); never rejects. A call with no
 * answer after `timeoutMs` counts as a timeout at once (the client drops the reply if it comes
 * later).
 */
export function timedCall(rpc: ControlRpc, command: string, timeoutMs: number): Promise<TimedCall> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: TimedCall["outcome"], reply?: RpcReply, text?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const ms = outcome === "timeout" ? timeoutMs : performance.now() - t0;
      resolve({ command, ms, outcome, text: text ?? reply?.error, items: reply?.items });
    };
    const timer = setTimeout(() => settle("timeout"), timeoutMs);
    rpc.call(command, timeoutMs + CLIENT_SLACK_MS).then(
      (reply) => settle(reply.error === undefined ? "ok" : "error", reply),
      (error: unknown) =>
        settle("failed", undefined, error instanceof Error ? error.message : String(error)),
    );
  });
}
