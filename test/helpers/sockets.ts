/**
 * Helpers of the socket tests: the HTTP worker fixture's watcher section, plain HTTP
 * requests (one connection each, so the kernel spreads them over the workers), and the
 * sockets circusd reports.
 */
import http from "node:http";
import path from "node:path";
import { iniSection, ROOT, type SectionOptions } from "./circusd.js";
import type { RawClient } from "./control.js";

/** The HTTP / datagram worker that serves on a handed-over fd. */
export const HTTP_WORKER = path.join(ROOT, "test/fixtures/http-worker.mjs");

/** `[socket:NAME]` on a loopback tcp port of the kernel's pick, then `options`; a blank line after. */
export function tcpSocket(name: string, options: SectionOptions = {}): string {
  return iniSection(`socket:${name}`, [], { host: "127.0.0.1", port: 0, ...options }) + "\n";
}

/**
 * A `[watcher:NAME]` running the HTTP worker (or `worker`) on socket `socket`, handed over
 * with use_sockets, then `options`.
 */
export function httpWatcher(
  dir: string,
  name: string,
  socket: string,
  options: SectionOptions = {},
  worker = HTTP_WORKER,
): string {
  const cmd = `cmd = ${process.execPath} ${worker} $(circus.sockets.${socket}) ${dir}`;
  return iniSection(`watcher:${name}`, [cmd, "use_sockets = true"], options);
}

/** A socket as listsockets reports it. */
export interface ListedSocket {
  fd: number;
  name: string;
  backlog: number;
  host?: string;
  port?: number;
  path?: string;
}

/** Where to send a request: host and port, or a unix socket path. */
export type Target = { host: string; port: number } | { socketPath: string };

/** One GET on a fresh connection; resolves with the body (the worker's pid). */
export function get(target: Target, timeout = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ ...target, path: "/", agent: false, timeout }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve(body));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
  });
}

/**
 * Sends `total` requests, `concurrency` at a time; returns the pid each was answered by.
 * Rejects on the first failed request.
 */
export async function load(target: Target, total: number, concurrency = 16): Promise<string[]> {
  const pids: string[] = [];
  let sent = 0;
  const lane = async () => {
    while (sent < total) {
      sent++;
      pids.push(await get(target));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return pids;
}

/** What a {@link steadyLoad} saw. */
export interface LoadReport {
  served: number;
  failed: number;
  /** The first few failures' messages. */
  errors: string[];
  /** The longest time without a completed request (ms). */
  longestGapMs: number;
  /** The pids that answered, with how many requests each. */
  pids: Map<string, number>;
}

/**
 * Requests without pause, `concurrency` at a time, until `stop` is called: every failure is
 * counted (none is retried), and the longest time between two completed requests is kept.
 */
export function steadyLoad(target: Target, concurrency = 8): { stop(): Promise<LoadReport> } {
  const report: LoadReport = { served: 0, failed: 0, errors: [], longestGapMs: 0, pids: new Map() };
  let running = true;
  let last = performance.now();
  const lane = async () => {
    while (running) {
      try {
        const pid = await get(target, 5000);
        const now = performance.now();
        report.longestGapMs = Math.max(report.longestGapMs, now - last);
        last = now;
        report.served++;
        report.pids.set(pid, (report.pids.get(pid) ?? 0) + 1);
      } catch (error) {
        report.failed++;
        if (report.errors.length < 5) report.errors.push((error as Error).message);
      }
    }
  };
  const lanes = Promise.all(Array.from({ length: concurrency }, lane));
  return {
    async stop() {
      running = false;
      await lanes;
      return report;
    },
  };
}

/** The sockets circusd reports, by name. */
export async function listSockets(client: RawClient): Promise<Map<string, ListedSocket>> {
  const reply = await client.call("listsockets");
  if (reply.status !== "ok") throw new Error(`listsockets: ${JSON.stringify(reply)}`);
  return new Map((reply.sockets as ListedSocket[]).map((s) => [s.name, s]));
}
