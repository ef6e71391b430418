/**
 * A real Prometheus server (Debian's `prometheus`) for the metrics tests: started by the test
 * on a free loopback port with its own storage in the test's folder, scraping the given
 * targets every second, and read back through its HTTP query API. Never the system service.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, writeFileSync } from "node:fs";
import path from "node:path";
import { waitFor } from "./circusd.js";
import { defer } from "./cleanup.js";
import { freePort } from "./ctl.js";

/** One series of an instant query's answer. */
export interface Series {
  metric: Record<string, string>;
  value: number;
}

/** A Prometheus started by a test; killed at cleanup. */
export class Prometheus {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly logFile: string,
  ) {}

  /**
   * Starts Prometheus in `dir` scraping `targets` (`host:port`, path /metrics) every second,
   * and waits until it is ready. A port taken between its pick and Prometheus's bind is
   * picked again.
   */
  static async start(dir: string, targets: string[]): Promise<Prometheus> {
    const config = path.join(dir, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "scrape_configs:",
        "  - job_name: circus",
        "    static_configs:",
        `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
        "",
      ].join("\n"),
    );
    let lastError: unknown = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const logFile = path.join(dir, `prometheus-${attempt}.log`);
      const log = openSync(logFile, "w");
      const child = spawn(
        "prometheus",
        [
          `--config.file=${config}`,
          `--storage.tsdb.path=${path.join(dir, `tsdb-${attempt}`)}`,
          `--web.listen-address=127.0.0.1:${port}`,
          "--log.level=warn",
        ],
        { cwd: dir, stdio: ["ignore", log, log] },
      );
      let exited = false;
      child.once("exit", () => (exited = true));
      const server = new Prometheus(child, `http://127.0.0.1:${port}`, logFile);
      defer(() => server.stop());
      try {
        await waitFor(
          async () => {
            if (exited) throw new Error(`prometheus exited; see ${logFile}`);
            const response = await fetch(`${server.url}/-/ready`);
            return response.ok;
          },
          { timeout: 30_000, interval: 100, message: `prometheus ready on port ${port}` },
        );
        return server;
      } catch (error) {
        lastError = error;
        await server.stop();
      }
    }
    throw lastError;
  }

  /** Kills the server and waits for it to go. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGKILL");
    await gone;
  }

  /**
   * An instant query through `/api/v1/query`.
   *
   * @throws when Prometheus answers with an error (a bad expression).
   */
  async query(expr: string): Promise<Series[]> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: {
        resultType: string;
        result: { metric: Record<string, string>; value: [number, string] }[];
      };
    };
    if (body.status !== "success" || body.data?.resultType !== "vector")
      throw new Error(`query ${expr}: ${body.error ?? JSON.stringify(body)}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** The value of a query that gives one series, or null while it gives none. */
  async value(expr: string): Promise<number | null> {
    const result = await this.query(expr);
    if (result.length > 1) throw new Error(`query ${expr}: ${result.length} series`);
    return result[0]?.value ?? null;
  }

  /**
   * Polls `expr` until its single value satisfies `accept` (Prometheus scrapes every second:
   * a change shows within a few), and returns it.
   */
  async waitForValue(
    expr: string,
    accept: (value: number) => boolean,
    timeout = 30_000,
  ): Promise<number> {
    let last: number | null = null;
    return waitFor(
      async () => {
        last = await this.value(expr);
        return last !== null && accept(last) ? { v: last } : null;
      },
      { timeout, interval: 250, message: () => `${expr} to be accepted (last value: ${last})` },
    ).then((found) => found.v);
  }
}
