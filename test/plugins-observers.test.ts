/**
 * HttpObserver and RedisObserver run by a real circusd from `[plugin:NAME]` sections: a real
 * HTTP server (a watcher) that starts failing, Debian's redis-server (a watcher) that is then
 * paused with SIGSTOP, and their statsd metrics read on a real UDP socket.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { parseInfo, parseRedisUrl } from "../src/plugins/builtin/redis-observer.js";
import {
  iniSection,
  isGone,
  makeTempDir,
  ROOT,
  refusal,
  startCircusd,
  waitFor,
} from "./helpers/circusd.js";
import { connect } from "./helpers/control.js";
import { freePort } from "./helpers/ctl.js";
import { onePid, watcherPids as pids } from "./helpers/plugins.js";
import { StatsdListener } from "./fixtures/plugins/statsd/listener.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";

cleanupEachTest();

const FLAKY_HTTP = path.join(ROOT, "test/fixtures/plugins/observers/flaky-http.mjs");

/** Kills a redis-server at cleanup, should its process title not carry the test's folder. */
function killAtCleanup(pid: number): void {
  defer(() => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  });
}

/** The JSON lines flaky-http.mjs logged, one per request. */
function requests(file: string): { pid: number; mode: string }[] {
  try {
    return readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { pid: number; mode: string });
  } catch {
    return [];
  }
}

/** Sections of a flaky-http.mjs watcher `web` and an HttpObserver on it. */
function httpConfig(dir: string, port: number, plugin: Record<string, string | number>): string {
  const cmd = `${process.execPath} ${FLAKY_HTTP} --port ${port} --mode-file ${dir}/mode --log ${dir}/requests.jsonl`;
  return (
    iniSection("watcher:web", [`cmd = ${cmd}`, "graceful_timeout = 1"]) +
    "\n" +
    iniSection("plugin:http", [], {
      use: "circus.plugins.http_observer.HttpObserver",
      check_url: `http://127.0.0.1:${port}/health`,
      ...plugin,
    })
  );
}

describe("HttpObserver", () => {
  test("restarts its watcher when the page fails, hangs or is gone, never while it answers", async () => {
    const port = await freePort();
    const statsd = await StatsdListener.open();
    const d = startCircusd((dir) =>
      httpConfig(dir, port, {
        loop_rate: 0.2,
        // Long enough that a healthy check on a busy machine is no failure: a "hang" never ends.
        timeout: 2,
        restart_on_error: "web",
        host: "127.0.0.1",
        port: statsd.port,
      }),
    );
    const mode = (text: string) => writeFileSync(d.path("mode"), text);
    const log = d.path("requests.jsonl");
    const bucket = (name: string) => `circus.http_observer.watcher.http_stats.${name}`;
    const c = await connect(d);

    // Healthy: checks come and time, and the server is left alone.
    const first = await onePid(c, "web");
    await waitFor(() => requests(log).filter((r) => r.mode === "ok").length >= 5, {
      message: () => `5 checks in ${log}; circusd log:\n${d.log}`,
    });
    assert.deepEqual(await pids(c, "web"), [first]);
    assert.deepEqual(new Set(requests(log).map((r) => r.pid)), new Set([first]));
    assert.match(statsd.of(bucket("request_time"))[0] ?? "", /^[\w.]+:\d+\|ms$/);
    assert.deepEqual(statsd.of(bucket("error")), []);

    // 500: one failed check restarts web (healthy again once restarted).
    mode("fail");
    await waitFor(() => requests(log).some((r) => r.mode === "fail"));
    mode("ok");
    const second = await onePid(c, "web", first);
    await waitFor(() => statsd.of(bucket("error.500")).length > 0);
    assert.deepEqual(statsd.of(bucket("error")).slice(0, 1), [`${bucket("error")}:1|c`]);
    assert.deepEqual(statsd.of(bucket("restart_on_error")).slice(0, 1), [
      `${bucket("restart_on_error")}:1|c`,
    ]);
    // ... and then left alone while it answers.
    const served = requests(log).length;
    await waitFor(
      () => requests(log).filter((r, i) => i >= served && r.pid === second).length >= 5,
    );
    assert.deepEqual(await pids(c, "web"), [second]);

    // No answer within timeout: restarted, counted as 599 as tornado's client does.
    mode("hang");
    await waitFor(() => requests(log).some((r) => r.mode === "hang"));
    mode("ok");
    const third = await onePid(c, "web", second);
    await waitFor(() => statsd.of(bucket("error.599")).length > 0);

    // Nobody listening (web stopped): connection refused restarts, i.e. starts, web.
    assert.equal((await c.call("stop", { name: "web", waiting: true })).status, "ok");
    await onePid(c, "web", third);
    assert.equal((await c.call("status", { name: "web" })).status, "active");
    // One restart per failure: a restarted watcher gets one loop_rate before the next check.
    await waitFor(() => statsd.of(bucket("restart_on_error")).length >= 3);
    assert.equal(statsd.of(bucket("restart_on_error")).length, 3, statsd.lines.join("\n"));
  });

  test("without restart_on_error, failures are only counted, under application_name", async () => {
    const port = await freePort();
    const statsd = await StatsdListener.open();
    const d = startCircusd((dir) => {
      writeFileSync(path.join(dir, "mode"), "fail");
      return httpConfig(dir, port, {
        loop_rate: 0.2,
        timeout: 1,
        host: "127.0.0.1",
        port: statsd.port,
        application_name: "shop",
      });
    });
    const c = await connect(d);
    const pid = await onePid(c, "web");
    await waitFor(() => statsd.of("circus.shop.watcher.http_stats.error.500").length >= 3, {
      message: () => `3 errors counted; got ${statsd.lines.join(", ")}; log:\n${d.log}`,
    });
    assert.deepEqual(await pids(c, "web"), [pid]);
    assert.deepEqual(statsd.of("circus.shop.watcher.http_stats.restart_on_error"), []);
    assert.ok(requests(d.path("requests.jsonl")).every((r) => r.pid === pid));
  });
});

/** Debian's redis-server, as `npm test` installs it (scripts/test-deps.mjs). */
function redisServer(): string {
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(
      "redis-server is missing: apt-get install redis-server (npm test does, as root)",
    );
  }
}

/**
 * A redis.conf in the test folder: no persistence, loopback only, and a process title that
 * keeps the folder in it (redis-server rewrites its command line, which cleanup looks at,
 * within the length of the original: the listen address would push the folder out).
 */
function redisConf(dir: string, port: number): string {
  const file = path.join(dir, "redis.conf");
  writeFileSync(
    file,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      'save ""',
      "appendonly no",
      `dir ${dir}`,
      'proc-title-template "{title} {config-file}"',
      "",
    ].join("\n"),
  );
  return file;
}

describe("RedisObserver", () => {
  test("sends INFO gauges while Redis answers and restarts it once it is paused", async () => {
    const server = redisServer();
    const port = await freePort();
    const statsd = await StatsdListener.open();
    const d = startCircusd(
      (dir) => `[watcher:redis]
cmd = ${server} ${redisConf(dir, port)}
graceful_timeout = 1

[plugin:redis]
use = circus.plugins.redis_observer.RedisObserver
redis_url = redis://127.0.0.1:${port}/0
loop_rate = 0.2
timeout = 0.5
restart_on_timeout = redis
host = 127.0.0.1
port = ${statsd.port}
`,
    );
    const bucket = (name: string) => `circus.redis_observer.watcher.redis_stats.${name}`;
    const looks = () => statsd.of(bucket("uptime_in_seconds")).length;
    const c = await connect(d);

    // Answering: five looks, gauges of INFO's figures, nothing restarted.
    const first = await onePid(c, "redis");
    killAtCleanup(first);
    await waitFor(() => looks() >= 5, {
      message: () => `5 looks; statsd got ${statsd.lines.slice(-5).join(", ")}; log:\n${d.log}`,
    });
    assert.match(statsd.of(bucket("connected_clients"))[0] ?? "", /:\d+\|g$/);
    assert.match(statsd.of(bucket("used_memory"))[0] ?? "", /:\d+\|g$/);
    assert.deepEqual(statsd.of(bucket("error")), []);
    assert.deepEqual(await pids(c, "redis"), [first]);

    // Paused: INFO times out, and the plugin restarts the watcher.
    process.kill(first, "SIGSTOP");
    const second = await onePid(c, "redis", first);
    killAtCleanup(second);
    await waitFor(() => isGone(first), { message: `the paused redis ${first} to be gone` });
    assert.deepEqual(statsd.of(bucket("error")).slice(0, 1), [`${bucket("error")}:1|c`]);
    assert.deepEqual(statsd.of(bucket("restart_on_error")).slice(0, 1), [
      `${bucket("restart_on_error")}:1|c`,
    ]);

    // The new Redis answers: looked at again, and left alone.
    const before = looks();
    await waitFor(() => looks() >= before + 5);
    assert.deepEqual(await pids(c, "redis"), [second]);
    assert.equal(statsd.of(bucket("restart_on_error")).length, 1, statsd.lines.join("\n"));
    const logs = await c.call("logs", { name: "plugin:redis", lines: 50 });
    const text = (logs.logs as { line: string }[]).map((l) => l.line).join("\n");
    assert.match(text, /redis_observer: INFO to 127\.0\.0\.1:\d+ failed: .*; restarting redis/);
  });

  test("redis_url is read as redis-py's from_url reads it; INFO fields as numbers", () => {
    assert.deepEqual(parseRedisUrl("redis://localhost:6379/0"), {
      host: "localhost",
      port: 6379,
      db: 0,
    });
    assert.deepEqual(parseRedisUrl("rediss://u:p%40ss@cache.example:6380/2"), {
      username: "u",
      password: "p@ss",
      host: "cache.example",
      port: 6380,
      tls: { servername: "cache.example" },
      db: 2,
    });
    assert.deepEqual(parseRedisUrl("unix:///run/redis.sock?db=3"), {
      path: "/run/redis.sock",
      db: 3,
    });
    assert.deepEqual(parseRedisUrl("redis://[::1]"), { host: "::1", port: 6379 });
    assert.throws(() => parseRedisUrl("http://localhost/"), /redis:\/\//);
    assert.throws(() => parseRedisUrl("redis://localhost/zero"), /database number/);
    assert.deepEqual(
      parseInfo(
        "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:12\r\n\r\n# Memory\r\n" +
          "mem_fragmentation_ratio:1.5\r\n",
      ),
      { redis_version: "7.0.15", uptime_in_seconds: 12, mem_fragmentation_ratio: 1.5 },
    );
  });
});

describe("observer options", () => {
  test("a wrong option is refused at startup with one line naming [plugin:NAME] option", async () => {
    const dir = makeTempDir();
    const cases: [string, RegExp][] = [
      ["use = HttpObserver\ntimeout = soon", /\[plugin:obs\] timeout: expected a number/],
      ["use = HttpObserver\ncheck_url = localhost", /\[plugin:obs\] check_url: expected a URL/],
      ["use = HttpObserver\nloop_rate = 0", /\[plugin:obs\] loop_rate: must be more than 0, got 0/],
      [
        "use = circus.plugins.redis_observer.RedisObserver\ntimeout = soon",
        /\[plugin:obs\] timeout: expected a number/,
      ],
      ["use = RedisObserver\nredis_url = http://x/", /\[plugin:obs\] redis_url: expected a redis/],
      ["use = RedisObserver\nport = x", /\[plugin:obs\] port: expected an integer/],
    ];
    for (const [section, expected] of cases) {
      const file = path.join(dir, "circus.ini");
      writeFileSync(file, `[watcher:w]\ncmd = sleep 300\n\n[plugin:obs]\n${section}\n`);
      assert.match(await refusal(file, dir), expected);
    }
  });
});
