/**
 * The Prometheus metrics endpoint (`[circus] metrics = true`): the exposition itself (valid
 * for `promtool check metrics`, the series of watchers, processes and circusd), its HTTP
 * answers, its defaults (off, loopback), its refusals; and the figures read back from a real
 * Prometheus server scraping circusd every second.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import net from "node:net";
import os from "node:os";
import { CIRCUS_DEFAULTS, DEFAULT_METRICS_PORT } from "../src/config/defaults.js";
import { Exposition, labelText } from "../src/control/metrics/exposition.js";
import { Histogram } from "../src/control/metrics/histogram.js";
import {
  ROOT,
  makeTempDir,
  procStat,
  refusal,
  startCircusd,
  waitFor,
  writeConfig,
  type Circusd,
} from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { connect, sleeperSection } from "./helpers/control.js";
import { listeningTcp } from "./helpers/proc-net.js";
import { Prometheus } from "./helpers/prometheus.js";
import { httpWatcher, listSockets, load, tcpSocket } from "./helpers/sockets.js";

cleanupEachTest();

/** `[circus]` turning the endpoint on, on a free port. */
const METRICS_ON = "[circus]\nmetrics = true\nmetrics_port = 0\n\n";

/** The URL circusd logs once its metrics endpoint listens. */
async function metricsUrl(d: Circusd): Promise<string> {
  const line = await d.waitForLog(/ metrics on http:\/\/\S+/);
  return (/(http:\/\/\S+)/.exec(line) as RegExpExecArray)[1] as string;
}

/** One HTTP request, answered in full. */
function request(
  url: string,
  method = "GET",
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** A scrape's samples: `name{labels}` exactly as written -> value. */
function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    map.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return map;
}

/** GET /metrics, checked (200, the format's content type), as samples and text. */
async function scrape(url: string): Promise<{ text: string; values: Map<string, number> }> {
  const response = await request(url);
  assert.equal(response.status, 200, response.body);
  assert.equal(response.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  return { text: response.body, values: samples(response.body) };
}

/** Scrapes until `accept` holds for the samples; returns that scrape. */
async function scrapeUntil(
  url: string,
  accept: (values: Map<string, number>) => boolean,
  what: string,
): Promise<{ text: string; values: Map<string, number> }> {
  let last = "";
  return waitFor(
    async () => {
      const result = await scrape(url);
      last = result.text;
      return accept(result.values) ? result : null;
    },
    { timeout: 20_000, interval: 100, message: () => `${what}; last scrape:\n${last}` },
  );
}

/** `promtool check metrics` on a scrape's text: its output (empty when all is well). */
function promtool(text: string): string {
  const result = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  assert.equal(result.error, undefined, "promtool runs (Debian's prometheus package)");
  return (
    `${result.stdout}${result.stderr}`.trim() +
    (result.status === 0 ? "" : ` (exit ${result.status})`)
  );
}

/**
 * Opens `count` connections to a socket nobody accepts on (they wait in its backlog, so that
 * each arrival is seen: a worker's quick accept could hide it); closed at the test's end.
 */
async function waitingConnections(port: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const socket = net.connect(port, "127.0.0.1");
    defer(() => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
  }
}

describe("the exposition format", () => {
  test("label values escaped, UTF-8 kept, NaN and infinities spelled, histogram buckets cumulative", () => {
    const out = new Exposition(Buffer.alloc(8)); // grows from 8 bytes
    out.family("circus_x", "gauge", "a help with a \\ and a\nnewline");
    out.sample("circus_x", labelText({ watcher: 'we"b\\1\nx' }), 1.5);
    out.sample("circus_x", labelText({ watcher: "wéb ✓" }), NaN);
    out.sample("circus_x", labelText({ watcher: "inf" }), Infinity);
    out.sample("circus_x", labelText({ watcher: "-inf" }), -Infinity);
    const histogram = new Histogram("circus_y_seconds", "times", [0.1, 1]);
    for (const v of [0.05, 0.1, 0.5, 2]) histogram.observe(labelText({ command: "status" }), v);
    histogram.write(out);
    const text = out.text();
    assert.equal(
      text,
      [
        "# HELP circus_x a help with a \\\\ and a\\nnewline",
        "# TYPE circus_x gauge",
        'circus_x{watcher="we\\"b\\\\1\\nx"} 1.5',
        'circus_x{watcher="wéb ✓"} NaN',
        'circus_x{watcher="inf"} +Inf',
        'circus_x{watcher="-inf"} -Inf',
        "# HELP circus_y_seconds times",
        "# TYPE circus_y_seconds histogram",
        'circus_y_seconds_bucket{command="status",le="0.1"} 2',
        'circus_y_seconds_bucket{command="status",le="1"} 3',
        'circus_y_seconds_bucket{command="status",le="+Inf"} 4',
        'circus_y_seconds_sum{command="status"} 2.65',
        'circus_y_seconds_count{command="status"} 4',
        "",
      ].join("\n"),
    );
    assert.equal(out.bytes().length, Buffer.byteLength(text));
    assert.equal(promtool(text), "");
  });
});

describe("the metrics endpoint", () => {
  test("GET /metrics: an exposition promtool accepts, with the watchers', processes' and circusd's series", async () => {
    const started = Date.now() / 1000;
    const d = startCircusd(
      (dir) =>
        METRICS_ON +
        sleeperSection(dir, "sleeper", { numprocesses: 2 }) +
        sleeperSection(dir, "crasher", {}, "/bin/sh -c 'exit 3'"),
    );
    const url = await metricsUrl(d);
    const { text, values } = await scrapeUntil(
      url,
      (v) =>
        v.get('circus_watcher_running_processes{watcher="sleeper"}') === 2 &&
        v.get('circus_watcher_flapping{watcher="crasher"}') === 1 &&
        (v.get('circus_watcher_exits_total{watcher="crasher",code="3",signal=""}') ?? 0) >= 2 &&
        // The lag monitor's first reading comes two of its ticks (100 ms) after it starts.
        (v.get("circus_daemon_event_loop_lag_seconds_count") ?? 0) > 0,
      "2 sleepers running, the crasher flapping, a lag reading",
    );
    assert.equal(promtool(text), "");
    for (const family of [
      "circus_watcher_desired_processes gauge",
      "circus_watcher_running_processes gauge",
      "circus_watcher_state gauge",
      "circus_watcher_flapping gauge",
      "circus_watcher_spawns_total counter",
      "circus_watcher_exits_total counter",
      "circus_watcher_restarts_total counter",
      "circus_process_cpu_seconds_total counter",
      "circus_process_resident_memory_bytes gauge",
      "circus_process_start_time_seconds gauge",
      "circus_process_pid gauge",
      "circus_daemon_cpu_seconds_total counter",
      "circus_daemon_resident_memory_bytes gauge",
      "circus_daemon_start_time_seconds gauge",
      "circus_daemon_event_loop_lag_seconds summary",
      "circus_control_requests_total counter",
      "circus_control_request_duration_seconds histogram",
    ])
      assert.ok(text.includes(`\n# TYPE ${family}\n`), `# TYPE ${family}`);
    const sleeper = (name: string) => values.get(`${name}{watcher="sleeper"}`);
    assert.equal(sleeper("circus_watcher_desired_processes"), 2);
    assert.equal(sleeper("circus_watcher_flapping"), 0);
    assert.equal(sleeper("circus_watcher_spawns_total"), 2);
    assert.equal(sleeper("circus_watcher_restarts_total"), 0);
    assert.equal(values.get('circus_watcher_state{watcher="sleeper",state="active"}'), 1);
    assert.equal(values.get('circus_watcher_state{watcher="sleeper",state="stopped"}'), 0);
    for (const wid of [1, 2]) {
      const labels = `{watcher="sleeper",wid="${wid}"}`;
      const pid = values.get(`circus_process_pid${labels}`) as number;
      assert.equal(procStat(pid)?.ppid, d.pid, `wid ${wid}: pid ${pid} is circusd's child`);
      assert.ok((values.get(`circus_process_resident_memory_bytes${labels}`) as number) > 0);
      assert.ok((values.get(`circus_process_cpu_seconds_total${labels}`) as number) >= 0);
      const start = values.get(`circus_process_start_time_seconds${labels}`) as number;
      assert.ok(start >= started - 1 && start <= Date.now() / 1000, `start time ${start}`);
    }
    assert.ok((values.get("circus_daemon_resident_memory_bytes") as number) > 10 * 2 ** 20);
    assert.ok((values.get("circus_daemon_cpu_seconds_total") as number) > 0);
    // Over the interval since the previous scrape: NaN when no tick fell in it.
    assert.ok(values.has('circus_daemon_event_loop_lag_seconds{quantile="0.99"}'));
    assert.equal((await d.stop()).code, 0);
  });

  test("control requests: counted by command and status (unknown commands as one), timed in a histogram", async () => {
    const d = startCircusd((dir) => METRICS_ON + sleeperSection(dir, "sleeper"));
    const url = await metricsUrl(d);
    const client = await connect(d);
    assert.equal((await client.call("status", { name: "sleeper" })).status, "active");
    assert.equal((await client.call("made-up")).status, "error");
    assert.equal((await client.call("made-up-too")).status, "error");
    assert.equal((await client.call("incr", { name: "nobody" })).status, "error");
    const { values } = await scrape(url);
    assert.equal(values.get('circus_control_requests_total{command="status",status="ok"}'), 1);
    assert.equal(values.get('circus_control_requests_total{command="unknown",status="error"}'), 2);
    assert.equal(values.get('circus_control_requests_total{command="incr",status="error"}'), 1);
    const histogram = "circus_control_request_duration_seconds";
    assert.equal(values.get(`${histogram}_count{command="status"}`), 1);
    assert.equal(values.get(`${histogram}_bucket{command="status",le="+Inf"}`), 1);
    assert.ok((values.get(`${histogram}_sum{command="status"}`) as number) > 0);
    assert.equal(values.get(`${histogram}_count{command="unknown"}`), 2);
    assert.equal((await d.stop()).code, 0);
  });

  test("restarts: a restart and a graceful reload each count one", async () => {
    const d = startCircusd((dir) => METRICS_ON + sleeperSection(dir, "sleeper"));
    const url = await metricsUrl(d);
    const client = await connect(d);
    const restarts = 'circus_watcher_restarts_total{watcher="sleeper"}';
    await scrapeUntil(url, (v) => v.get(restarts) === 0, "the watcher listed");
    assert.equal((await client.call("restart", { name: "sleeper", waiting: true })).status, "ok");
    assert.equal((await scrape(url)).values.get(restarts), 1);
    assert.equal((await client.call("reload", { name: "sleeper", waiting: true })).status, "ok");
    const { values } = await scrape(url);
    assert.equal(values.get(restarts), 2);
    assert.equal(values.get('circus_watcher_spawns_total{watcher="sleeper"}'), 3);
    assert.equal((await d.stop()).code, 0);
  });

  test("sockets: the connections that arrived, counted from the bind; none for so_reuseport", async () => {
    const d = startCircusd(
      (dir) =>
        METRICS_ON +
        tcpSocket("web") +
        tcpSocket("queue") +
        tcpSocket("shared", { so_reuseport: true }) +
        httpWatcher(dir, "web", "web", { numprocesses: 2 }),
    );
    const url = await metricsUrl(d);
    const client = await connect(d);
    const sockets = await listSockets(client);
    const { values } = await scrapeUntil(
      url,
      (v) => v.get('circus_watcher_running_processes{watcher="web"}') === 2,
      "2 web workers",
    );
    const hits = (name: string) => `circus_socket_hits_total{socket="${name}"}`;
    assert.equal(values.get(hits("web")), 0);
    assert.equal(values.get(hits("queue")), 0);
    assert.equal(values.get(hits("shared")), undefined);
    // Served by workers: a connection one accepts before the counting thread looks is
    // missed, so only the bound is certain.
    const web = sockets.get("web")?.port as number;
    assert.equal((await load({ host: "127.0.0.1", port: web }, 40)).length, 40);
    // Nobody accepts on queue: its connections wait, and each arrival is seen (several
    // arriving together may count once).
    await waitingConnections(sockets.get("queue")?.port as number, 5);
    const after = (await scrapeUntil(url, (v) => (v.get(hits("queue")) ?? 0) > 0, "hits")).values;
    assert.ok((after.get(hits("queue")) as number) <= 5, `${after.get(hits("queue"))} for 5`);
    assert.ok((after.get(hits("web")) as number) <= 40, `${after.get(hits("web"))} for 40`);
    assert.equal((await d.stop()).code, 0);
  });

  test("HTTP: other paths are 404, other methods 405, HEAD has the length and no body", async () => {
    const d = startCircusd((dir) => METRICS_ON + sleeperSection(dir, "sleeper"));
    const url = await metricsUrl(d);
    const base = url.slice(0, -"/metrics".length);
    for (const path of ["/", "/metrics/", "/metricsx", "/stats"])
      assert.equal((await request(base + path)).status, 404, path);
    assert.equal((await request(`${url}?name[]=circus_x`)).status, 200, "a query string");
    const post = await request(url, "POST");
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, "GET, HEAD");
    const head = await request(url, "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
    assert.ok(Number(head.headers["content-length"]) > 1000);
    assert.equal((await d.stop()).code, 0);
  });

  test("off by default; when on, it listens on loopback unless told otherwise", async () => {
    assert.equal(CIRCUS_DEFAULTS.metrics, false);
    assert.equal(CIRCUS_DEFAULTS.metricsHost, "127.0.0.1");
    assert.equal(CIRCUS_DEFAULTS.metricsPort, DEFAULT_METRICS_PORT);
    // The control endpoints of test daemons are ipc sockets: any TCP listener is the metrics'.
    const off = startCircusd((dir) => sleeperSection(dir, "sleeper"));
    await connect(off);
    assert.deepEqual(listeningTcp(off.pid), []);
    assert.ok(!off.log.includes("metrics on"), off.log);
    const on = startCircusd((dir) => METRICS_ON + sleeperSection(dir, "sleeper"));
    const url = await metricsUrl(on);
    const port = Number(new URL(url).port);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.deepEqual(listeningTcp(on.pid), [`127.0.0.1:${port}`]);
    // From another address of this machine, nobody answers.
    const other = Object.values(os.networkInterfaces())
      .flatMap((list) => list ?? [])
      .find((i) => i.family === "IPv4" && !i.internal);
    if (other) {
      const refused = await new Promise<string>((resolve) => {
        const socket = net.connect(port, other.address);
        socket.once("connect", () => resolve("connected"));
        socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? ""));
      });
      assert.equal(refused, "ECONNREFUSED", `${other.address}:${port}`);
    }
    assert.equal((await off.stop()).code, 0);
    assert.equal((await on.stop()).code, 0);
  });

  test("a bad metrics option, or a port taken, is refused with one line naming file, section and option", async () => {
    const dir = makeTempDir();
    const refused = async (circus: string) =>
      refusal(writeConfig(dir, `[circus]\n${circus}\n\n${sleeperSection(dir, "s")}`));
    const file = `${dir}/circus.ini`;
    assert.match(
      await refused("metrics = maybe"),
      new RegExp(`^${file}:\\d+: \\[circus\\] metrics: expected a boolean .*got "maybe"$`),
    );
    assert.match(
      await refused("metrics = true\nmetrics_port = 70000"),
      new RegExp(`^${file}:\\d+: \\[circus\\] metrics_port: must be <= 65535, got "70000"$`),
    );
    assert.match(
      await refused("metrics = true\nmetrics_host = http://x/"),
      new RegExp(`^${file}:\\d+: \\[circus\\] metrics_host: expected a host name or address`),
    );
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      assert.match(
        await refused(`metrics = true\nmetrics_port = ${port}`),
        new RegExp(
          `^${file}: \\[circus\\] metrics_port: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`,
        ),
      );
    } finally {
      taken.close();
    }
  });

  test("a scrape answers while 200 processes start", async (t) => {
    const count = 200;
    const d = startCircusd(
      (dir) => METRICS_ON + sleeperSection(dir, "many", { numprocesses: count }),
    );
    const url = await metricsUrl(d);
    const running = 'circus_watcher_running_processes{watcher="many"}';
    const seen: number[] = [];
    let slowest = 0;
    for (;;) {
      const before = performance.now();
      const { text, values } = await scrape(url);
      slowest = Math.max(slowest, performance.now() - before);
      const n = values.get(running) as number;
      seen.push(n);
      // Sampled before the count was read: the processes started since have no series yet.
      const pids = [...values.keys()].filter((k) => k.startsWith("circus_process_pid{"));
      assert.ok(pids.length <= n, `${pids.length} pids, ${n} running`);
      if (n === count) {
        assert.equal(promtool(text), "");
        break;
      }
      assert.ok(seen.length < 10_000, "the start never ended");
    }
    const midway = seen.filter((n) => n < count).length;
    // Not asserted (a fast machine may start them all before the first scrape): said.
    t.diagnostic(
      `${seen.length} scrapes, ${midway} during the start, slowest ${slowest.toFixed(1)} ms`,
    );
    assert.equal((await d.stop()).code, 0);
  });
});

describe("read back from a real Prometheus", () => {
  test("running processes after incr; a spawn more and an exit by SIGKILL after a kill -9", async () => {
    const d = startCircusd(
      (dir) => METRICS_ON + sleeperSection(dir, "sleeper", { numprocesses: 2 }),
    );
    const url = new URL(await metricsUrl(d));
    const client = await connect(d);
    const prometheus = await Prometheus.start(d.dir, [url.host]);
    await prometheus.waitForValue('up{job="circus"}', (v) => v === 1);
    const running = 'circus_watcher_running_processes{watcher="sleeper"}';
    await prometheus.waitForValue(running, (v) => v === 2);
    assert.equal((await client.call("incr", { name: "sleeper", waiting: true })).status, "ok");
    await prometheus.waitForValue(running, (v) => v === 3);
    assert.equal(await prometheus.value('circus_watcher_desired_processes{watcher="sleeper"}'), 3);

    const spawns = 'circus_watcher_spawns_total{watcher="sleeper"}';
    const before = await prometheus.waitForValue(spawns, (v) => v === 3);
    const victim = await prometheus.value('circus_process_pid{watcher="sleeper",wid="2"}');
    assert.ok(victim && procStat(victim)?.ppid === d.pid, `wid 2 is circusd's child ${victim}`);
    process.kill(victim, "SIGKILL");
    await prometheus.waitForValue(spawns, (v) => v === before + 1);
    await prometheus.waitForValue(
      'circus_watcher_exits_total{watcher="sleeper",signal="SIGKILL"}',
      (v) => v === 1,
    );
    // The wid is taken again by the replacement: the same series, a new pid.
    await prometheus.waitForValue(
      'circus_process_pid{watcher="sleeper",wid="2"}',
      (v) => v !== victim && procStat(v)?.ppid === d.pid,
    );
    await prometheus.waitForValue(running, (v) => v === 3);
    const series = await prometheus.query('count(circus_process_pid{watcher="sleeper"})');
    assert.equal(series[0]?.value, 3);
    assert.equal((await d.stop()).code, 0);
  });

  test("the Grafana dashboard's queries run, on series circusd serves", async () => {
    const d = startCircusd((dir) => METRICS_ON + tcpSocket("queue") + sleeperSection(dir, "s"));
    const url = await metricsUrl(d);
    const prometheus = await Prometheus.start(d.dir, [new URL(url).host]);
    await prometheus.waitForValue('up{job="circus"}', (v) => v === 1);
    const { text } = await scrape(url);
    const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const dashboard = JSON.parse(
      readFileSync(path.join(ROOT, "examples/grafana-circus.json"), "utf8"),
    ) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr]));
    assert.ok(exprs.length >= 10, `${exprs.length} queries`);
    for (const [title, expr] of exprs as [string, string][]) {
      for (const [name] of expr.matchAll(/circus_[a-z_]+/g)) {
        const family = name.replace(/_(bucket|sum|count)$/, "");
        assert.ok(families.has(name) || families.has(family), `${title}: ${name} is served`);
      }
      // Grafana's variables as "every circusd, every watcher" and a rate window.
      const query = expr
        .replaceAll("$__rate_interval", "1m")
        .replaceAll("$instance", ".*")
        .replaceAll("$watcher", ".*");
      await prometheus.query(query).catch((error: Error) => {
        throw new Error(`${title}: ${error.message}`);
      });
    }
    assert.equal((await d.stop()).code, 0);
  });

  test("a socket's hits after connections", async () => {
    // A socket nobody accepts on: every connection waits, so every arrival can be seen.
    const d = startCircusd((dir) => METRICS_ON + tcpSocket("queue") + sleeperSection(dir, "s"));
    const url = new URL(await metricsUrl(d));
    const client = await connect(d);
    const port = (await listSockets(client)).get("queue")?.port as number;
    const prometheus = await Prometheus.start(d.dir, [url.host]);
    const hits = 'circus_socket_hits_total{socket="queue"}';
    await prometheus.waitForValue(hits, (v) => v === 0);
    await waitingConnections(port, 5);
    const counted = await prometheus.waitForValue(hits, (v) => v > 0);
    assert.ok(counted <= 5, `${counted} hits for 5 connections`);
    assert.equal((await d.stop()).code, 0);
  });
});
