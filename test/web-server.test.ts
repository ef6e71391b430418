/**
 * circushttpd's server, from Node (no browser): circusd runs it as its `circushttpd` watcher
 * (`[circus] httpd = true`) with a users file; the tests speak HTTP and WebSocket to it as
 * the page does, and check API.md's contract: login, sessions, CSRF, roles, the API over
 * circusd, the limits, the headers, the audit line, the WebSocket, and a daemon that goes.
 */
import { describe, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import WebSocket from "ws";
import { hashPassword } from "../src/web/server/users.js";
import {
  ROOT,
  makeTempDir,
  refusal,
  startCircusd,
  testEndpoints,
  waitFor,
  writeConfig,
  type Circusd,
} from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { clientOf, freePort, startDaemon } from "./helpers/ctl.js";
import { connectedPorts } from "./helpers/proc-net.js";
import { SSH_OPTIONS, sshSkip, startSshd } from "./helpers/sshd.js";

cleanupEachTest();

const CIRCUSHTTPD = path.join(ROOT, "dist/cli/circushttpd.js");

/** A watcher printing a line every 300 ms; the folder in its argv marks it for cleanup. */
function tickerSection(dir: string): string {
  return `[watcher:web]\ncmd = sh -c 'while :; do echo tick; sleep 0.3; done' ${dir}\ngraceful_timeout = 1\n`;
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { [key: string]: unknown };
  list: unknown[];
}

/** A browser-like client of one circushttpd: a cookie jar and the CSRF token. */
class Page {
  cookie = "";
  csrf = "";
  constructor(readonly base: string) {}

  async request(
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const response = await fetch(this.base + url, {
      method,
      headers: {
        ...(this.cookie ? { Cookie: this.cookie } : {}),
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const set = response.headers.get("set-cookie");
    if (set) this.cookie = set.split(";")[0] as string;
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return {
      status: response.status,
      headers: response.headers,
      body: (json && !Array.isArray(json) ? json : {}) as Answer["body"],
      list: Array.isArray(json) ? json : [],
    };
  }

  get(url: string) {
    return this.request("GET", url);
  }

  /** A POST with the session's CSRF token. */
  post(url: string, body: unknown = {}) {
    return this.request("POST", url, body, { "X-CSRF-Token": this.csrf });
  }

  async login(user: string, password: string): Promise<Answer> {
    const answer = await this.request("POST", "/api/login", { user, password });
    if (answer.status === 200) this.csrf = String(answer.body.csrf);
    return answer;
  }

  /** A WebSocket of this page's session, open. */
  async socket(): Promise<Socket> {
    const ws = new WebSocket(this.base.replace("http", "ws") + "/ws", {
      origin: this.base,
      headers: this.cookie ? { Cookie: this.cookie } : {},
    });
    const socket = new Socket(ws);
    defer(() => ws.terminate());
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return socket;
  }
}

/** A WebSocket that keeps every message received. */
class Socket {
  readonly messages: Record<string, unknown>[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) =>
      this.messages.push(JSON.parse(String(data)) as Record<string, unknown>),
    );
  }
  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }
  wait(predicate: (m: Record<string, unknown>) => boolean, what: string) {
    return waitFor(() => this.messages.find(predicate), {
      message: () => `${what}; got ${JSON.stringify(this.messages).slice(0, 2000)}`,
    });
  }
}

/** The watchers' list, by name. */
async function watchers(
  page: Page,
): Promise<Map<string, { numprocesses: number; pids: number[] }>> {
  const answer = await page.get("/api/daemons/0/watchers");
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return new Map(
    (answer.list as { name: string; numprocesses: number; pids: number[] }[]).map((w) => [
      w.name,
      w,
    ]),
  );
}

describe("circushttpd run by circusd, with users", () => {
  let circusd: Circusd;
  let base: string;
  /** circusd's discovery group: its own, not the machine's shared default. */
  let multicast: string;

  before(async () => {
    const dir = makeTempDir();
    const port = await freePort();
    multicast = `udp://239.255.42.18:${await freePort()}`;
    const users = path.join(dir, "users");
    writeFileSync(
      users,
      `# the test's users\nalice:admin:${await hashPassword("wonderland")}\n\nbob:readonly:${await hashPassword("builder")}\n`,
    );
    circusd = startCircusd(
      (d) =>
        `[circus]\nstatsd = true\nhttpd = true\nhttpd_host = 127.0.0.1\nhttpd_port = ${port}\nhttpd_users = ${users}\nmulticast_endpoint = ${multicast}\n\n${tickerSection(d)}`,
      { dir },
    );
    base = `http://127.0.0.1:${port}`;
    await waitFor(
      async () =>
        (await fetch(`${base}/healthz`)).ok &&
        (await new Page(base).login("alice", "wonderland")).status === 200,
      { timeout: 30_000, message: () => `circushttpd to answer; circusd log:\n${circusd.log}` },
    );
  });

  test("login: a wrong password is 401, a right one gives the session cookie and CSRF token", async () => {
    const page = new Page(base);
    assert.equal((await page.get("/api/session")).status, 401);
    const wrong = await page.login("alice", "nope");
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, { error: "wrong user or password" });
    const unknown = await page.login("mallory", "wonderland");
    assert.equal(unknown.status, 401);
    const response = await fetch(`${base}/api/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: "alice", password: "wonderland" }),
    });
    assert.equal(response.status, 200);
    const cookie = response.headers.get("set-cookie") ?? "";
    assert.match(cookie, /^circus_session=[A-Za-z0-9_-]{43}; /);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    assert.doesNotMatch(cookie, /Secure/, "not over plain http");
    const ok = await page.login("alice", "wonderland");
    assert.equal(ok.body.user, "alice");
    assert.equal(ok.body.role, "admin");
    const session = await page.get("/api/session");
    assert.deepEqual(session.body, { user: "alice", role: "admin", csrf: page.csrf });
    // Over https (as a proxy says), the cookie is Secure.
    const proxied = await new Page(base).request(
      "POST",
      "/api/login",
      { user: "alice", password: "wonderland" },
      { "X-Forwarded-Proto": "https" },
    );
    assert.match(proxied.headers.get("set-cookie") ?? "", /; Secure/);
    const out = await page.post("/api/logout");
    assert.equal(out.status, 200);
    assert.equal((await page.get("/api/session")).status, 401);
  });

  test("login: the sixth failure within a minute is 429 with Retry-After", async () => {
    const page = new Page(base);
    for (let i = 0; i < 5; i++) assert.equal((await page.login("carol", `guess${i}`)).status, 401);
    const limited = await page.login("carol", "guess6");
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) > 0);
    // Another user from the same address is not held back.
    assert.equal((await page.login("alice", "wonderland")).status, 200);
  });

  test("security headers on the page, the API and the errors", async () => {
    const page = new Page(base);
    for (const url of ["/", "/login", "/api/session", "/healthz", "/nothing-here"]) {
      const { headers } = await page.get(url);
      assert.match(
        headers.get("content-security-policy") ?? "",
        /default-src 'self'; script-src 'self'; style-src 'self'/,
        url,
      );
      assert.match(headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/, url);
      assert.equal(headers.get("x-content-type-options"), "nosniff", url);
      assert.equal(headers.get("referrer-policy"), "no-referrer", url);
      assert.equal(headers.get("x-frame-options"), "DENY", url);
    }
  });

  test("CSRF: a POST without the session's token is 403", async () => {
    const page = new Page(base);
    await page.login("alice", "wonderland");
    const none = await page.request("POST", "/api/daemons/0/watchers/web/incr", {});
    assert.equal(none.status, 403);
    assert.deepEqual(none.body, { error: "missing or wrong CSRF token" });
    const wrong = await page.request(
      "POST",
      "/api/daemons/0/watchers/web/incr",
      {},
      { "X-CSRF-Token": "x" },
    );
    assert.equal(wrong.status, 403);
  });

  test("a read-only user cannot change anything: 403 naming the command", async () => {
    const page = new Page(base);
    await page.login("bob", "builder");
    assert.equal((await page.get("/api/daemons/0/watchers")).status, 200);
    const refused = await page.post("/api/daemons/0/watchers/web/incr");
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body, { error: "read-only user bob cannot incr" });
    assert.equal((await page.post("/api/daemons/0/reload")).status, 403);
  });

  test("GET /api/discover: who answers on the group, behind the login; bad parameters 400", async () => {
    const anonymous = await new Page(base).get(`/api/discover?multicast=${multicast}`);
    assert.equal(anonymous.status, 401);
    assert.deepEqual(anonymous.body, { error: "not logged in" });
    // A read-only user may look: adding one is the admin's POST /api/daemons.
    const page = new Page(base);
    await page.login("bob", "builder");
    const endpoint = String(
      ((await page.get("/api/daemons")).list[0] as { endpoint: string }).endpoint,
    );
    // Without ?multicast=, circusd's own group: circusd passes it to its circushttpd.
    const query = `/api/discover?timeout=0.5`;
    const found = await waitFor(
      async () => {
        const answer = await page.get(query);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        return answer.list.length > 0 ? answer.list : null;
      },
      { message: `an answer on ${multicast}` },
    );
    // circusd answers with its control endpoint: the console's daemon 0.
    assert.deepEqual(found, [
      { endpoint, from: (found[0] as { from: string }).from, reachable: endpoint, daemon: "0" },
    ]);
    const badGroup = await page.get("/api/discover?multicast=udp://10.0.0.1:5000");
    assert.equal(badGroup.status, 400);
    assert.match(String(badGroup.body.error), /^malformed multicast: expected udp:/);
    assert.equal((await page.get("/api/discover?timeout=60")).status, 400);
    assert.equal((await page.get("/api/discover?timeout=0")).status, 400);
  });

  test("incr through the API changes the list, and circusd logs who asked", async () => {
    const page = new Page(base);
    await page.login("alice", "wonderland");
    const before = (await watchers(page)).get("web");
    assert.ok(before, "the web watcher is listed");
    assert.equal(before.numprocesses, 1);
    assert.ok((await watchers(page)).has("circushttpd"), "circushttpd is a watcher too");
    const incr = await page.post("/api/daemons/0/watchers/web/incr");
    assert.equal(incr.status, 200, JSON.stringify(incr.body));
    assert.equal(incr.body.ok, true);
    await waitFor(async () => (await watchers(page)).get("web")?.pids.length === 2, {
      message: "web to have 2 processes",
    });
    await circusd.waitForLog(/\[INFO\] alice via circushttpd: incr \{"name": "web"\}/);
    const detail = await page.get("/api/daemons/0/watchers/web");
    assert.equal(detail.status, 200);
    assert.equal(detail.body.name, "web");
    assert.equal((detail.body.processes as unknown[]).length, 2);
    assert.equal((detail.body.options as Record<string, unknown>).numprocesses, 2);
    assert.equal((await page.post("/api/daemons/0/watchers/web/decr")).status, 200);
    await waitFor(async () => (await watchers(page)).get("web")?.pids.length === 1, {
      message: "web back to 1 process",
    });
  });

  test("errors: bad fields 400, unknown watcher and daemon 404, huge body 413", async () => {
    const page = new Page(base);
    await page.login("alice", "wonderland");
    const bad = await page.post("/api/daemons/0/watchers", {
      name: "x",
      cmd: "sleep 100",
      numprocesses: -1,
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.fields, { numprocesses: "expected a whole number >= 0" });
    const added = await page.post("/api/daemons/0/watchers", {
      name: "extra",
      cmd: "sleep",
      args: ["1000"],
      numprocesses: 0,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal((await watchers(page)).get("extra")?.numprocesses, 0);
    const again = await page.post("/api/daemons/0/watchers", { name: "extra", cmd: "sleep" });
    assert.equal(again.status, 400, "circusd's error reply");
    assert.match(String(again.body.error), /extra/);
    const missing = await page.get("/api/daemons/0/watchers/nope");
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { error: "no watcher nope" });
    assert.equal((await page.post("/api/daemons/0/watchers/nope/incr")).status, 404);
    assert.equal((await page.get("/api/daemons/0/watchers/%E0%A4%A")).status, 400);
    const daemon = await page.get("/api/daemons/7/watchers");
    assert.equal(daemon.status, 404);
    assert.deepEqual(daemon.body, { error: "no daemon 7" });
    const huge = await page.post("/api/daemons/0/watchers", {
      name: "x",
      cmd: "y".repeat(70 * 1024),
    });
    assert.equal(huge.status, 413);
    const long = await page.post("/api/daemons/0/watchers", { name: "x", cmd: "y".repeat(5000) });
    assert.equal(long.status, 400);
    assert.match(String(long.body.error), /cmd/);
    const malformed = await page.post("/api/daemons", { endpoint: "http://nope" });
    assert.equal(malformed.status, 400);
  });

  test("the WebSocket: session and origin checked, bad messages answered, events and logs relayed", async () => {
    const anonymous = new WebSocket(base.replace("http", "ws") + "/ws", { origin: base });
    const refused = await new Promise<number>((resolve) => {
      anonymous.once("unexpected-response", (_request, response) =>
        resolve(response.statusCode ?? 0),
      );
      anonymous.once("open", () => resolve(101));
      anonymous.once("error", () => undefined);
    });
    assert.equal(refused, 403, "no session cookie");
    const page = new Page(base);
    await page.login("alice", "wonderland");
    const foreign = new WebSocket(base.replace("http", "ws") + "/ws", {
      origin: "http://evil.example",
      headers: { Cookie: page.cookie },
    });
    const foreignStatus = await new Promise<number>((resolve) => {
      foreign.once("unexpected-response", (_request, response) =>
        resolve(response.statusCode ?? 0),
      );
      foreign.once("open", () => resolve(101));
      foreign.once("error", () => undefined);
    });
    assert.equal(foreignStatus, 403, "another origin");

    const socket = await page.socket();
    socket.send("{not json");
    await socket.wait((m) => m.type === "error", "an error message for bad JSON");
    socket.send({ type: "dance" });
    await waitFor(() => socket.messages.filter((m) => m.type === "error").length === 2, {
      message: "an error for an unknown type",
    });
    socket.send({ type: "subscribe", daemon: "0", channels: ["events", "logs:web", "stats"] });
    // The connection stayed: subscribed, output lines come.
    const log = await socket.wait((m) => m.type === "log", "a log line of web");
    assert.equal(log.watcher, "web");
    assert.equal(log.stream, "stdout");
    assert.equal(typeof log.pid, "number");
    assert.ok((log.lines as string[]).includes("tick"));
    assert.equal((await page.post("/api/daemons/0/watchers/web/incr")).status, 200);
    const spawn = await socket.wait(
      (m) => m.type === "event" && m.topic === "watcher.web.spawn",
      "the spawn event of the incr",
    );
    assert.equal(spawn.daemon, "0");
    // circusd-stats' figures, batched: several frames a message, at most every 500 ms.
    const stats = await socket.wait((m) => m.type === "stats", "a stats message");
    const frames = stats.frames as { topic: string; data: unknown }[];
    assert.ok(frames.length > 0);
    assert.ok(
      frames.every((f) => f.topic.startsWith("stat.")),
      JSON.stringify(frames[0]),
    );
    const events = await page.get("/api/daemons/0/events?limit=50");
    assert.ok(events.list.some((e) => (e as { topic: string }).topic === "watcher.web.spawn"));
    assert.equal((await page.post("/api/daemons/0/watchers/web/decr")).status, 200);
  });

  test("a config reload keeps the circushttpd socket and its process", async () => {
    const client = clientOf(testEndpoints(circusd.dir).endpoint as string, 20);
    const socketNames = async () =>
      ((await client.callOk("listsockets")).sockets as { name: string }[]).map((s) => s.name);
    assert.ok((await socketNames()).includes("circushttpd"));
    const pids = (await client.callOk("list", { name: "circushttpd" })).pids;
    await client.callOk("reloadconfig", { waiting: true });
    assert.ok((await socketNames()).includes("circushttpd"), "the socket is still bound");
    assert.deepEqual((await client.callOk("list", { name: "circushttpd" })).pids, pids);
    assert.equal((await new Page(base).login("alice", "wonderland")).status, 200);
  });
});

/** The built circushttpd on port 0; resolves with its base URL once it listens. */
async function runHttpd(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ base: string; pid: number; output: () => string }> {
  const child = spawn(process.execPath, [CIRCUSHTTPD, "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  // SIGTERM first: circushttpd closes its ssh tunnels on the way out.
  const closed = new Promise((resolve) => child.once("close", resolve));
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await closed;
    clearTimeout(timer);
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const port = await waitFor(() => /listening on [^\s]+:(\d+)/.exec(output)?.[1], {
    message: () => `circushttpd to listen; output:\n${output}`,
  });
  return { base: `http://127.0.0.1:${port}`, pid: child.pid as number, output: () => output };
}

describe("circushttpd on its own", () => {
  test("a non-loopback host without users is refused at start with one line", async () => {
    const child = spawn(process.execPath, [CIRCUSHTTPD, "--host", "0.0.0.0", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    defer(() => child.kill("SIGKILL"));
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    assert.equal(code, 1);
    assert.equal(
      stderr,
      "circushttpd: refusing to serve 0.0.0.0 without authentication: give --users FILE (lines NAME:ROLE:HASH; circushttpd hash-password prints a HASH)\n",
    );
  });

  test("circusd refuses httpd on a non-loopback host without httpd_users", async () => {
    const dir = makeTempDir();
    const config = writeConfig(
      dir,
      `[circus]\nhttpd = true\nhttpd_host = 0.0.0.0\n\n${tickerSection(dir)}`,
    );
    assert.equal(
      await refusal(config),
      `${config}: [circus] httpd_host: refusing to serve 0.0.0.0 without authentication: give httpd_users (lines NAME:ROLE:HASH; circushttpd hash-password prints a HASH)`,
    );
  });

  test("a bad users file stops it with FILE:LINE", async () => {
    const dir = makeTempDir();
    const users = path.join(dir, "users");
    writeFileSync(users, `# ok\n\nerin:superuser:scrypt$1$2$3$4$5\n`);
    const child = spawn(process.execPath, [CIRCUSHTTPD, "--port", "0", "--users", users], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    defer(() => child.kill("SIGKILL"));
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    assert.equal(await new Promise((resolve) => child.once("close", resolve)), 1);
    assert.equal(
      stderr,
      `circushttpd: ${users}:3: role must be admin or readonly, not "superuser"\n`,
    );
  });

  test("the page: index (or the placeholder) and assets, nothing outside them", async () => {
    const dir = makeTempDir();
    const { base } = await runHttpd(["--endpoint", `ipc://${dir}/none.sock`]);
    const page = new Page(base);
    const index = await page.get("/");
    assert.equal(index.status, 200);
    assert.match(index.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal((await page.get("/login")).status, 200);
    for (const url of [
      "/assets/../../package.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/assets/nope.js",
      "/package.json",
    ])
      assert.equal((await page.get(url)).status, 404, url);
    assert.equal((await page.request("DELETE", "/")).status, 405);
  });

  test("hash-password prints a hash line that a users file takes", async () => {
    const child = spawn(process.execPath, [CIRCUSHTTPD, "hash-password"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stdin.end("s3cret\n");
    assert.equal(await new Promise((resolve) => child.once("close", resolve)), 0);
    assert.match(stdout, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{88}\n$/);
    const dir = makeTempDir();
    const users = path.join(dir, "users");
    writeFileSync(users, `dave:admin:${stdout.trim()}\n`);
    const { base } = await runHttpd(["--users", users, "--endpoint", `ipc://${dir}/none.sock`]);
    const page = new Page(base);
    assert.equal((await page.login("dave", "s3cret")).status, 200);
    assert.equal((await page.login("dave", "s3cret!")).status, 401);
  });

  test("a daemon that goes away is down (502, a daemon message) and comes back up", async () => {
    const dir = makeTempDir();
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const config = (pubsub: string) =>
      `[circus]\nendpoint = ${endpoint}\npubsub_endpoint = ${pubsub}\n\n${tickerSection(dir)}`;
    let circusd = startCircusd(config(`tcp://127.0.0.1:${await freePort()}`), { dir });
    const { base } = await runHttpd(["--endpoint", endpoint]);
    const page = new Page(base);
    const session = await page.get("/api/session");
    assert.deepEqual(session.body.user, "anonymous");
    page.csrf = String(session.body.csrf);
    await waitFor(
      async () =>
        (await page.get("/api/daemons")).list.some((d) => (d as { state: string }).state === "up"),
      {
        timeout: 20_000,
        message: "daemon 0 up",
      },
    );
    const socket = await page.socket();
    await circusd.stop();
    const down = await socket.wait(
      (m) => m.type === "daemon" && m.state === "down",
      "a daemon down message",
    );
    assert.equal(down.id, "0");
    const listed = (await page.get("/api/daemons")).list[0] as Record<string, unknown>;
    assert.equal(listed.state, "down");
    assert.equal(typeof listed.error, "string");
    const call = await page.get("/api/daemons/0/watchers");
    assert.equal(call.status, 502);
    assert.equal(call.body.error, `daemon 0 (${endpoint}) does not answer`);
    assert.equal((await page.post("/api/daemons/0/watchers/web/incr")).status, 502);
    // Back, with another pub/sub endpoint (a new config): its events are followed there.
    circusd = startCircusd(config(`tcp://127.0.0.1:${await freePort()}`), { dir });
    await socket.wait((m) => m.type === "daemon" && m.state === "up", "a daemon up message");
    await waitFor(async () => (await page.get("/api/daemons/0/watchers")).status === 200, {
      message: "the API to answer again",
    });
    socket.send({ type: "subscribe", daemon: "0", channels: ["events"] });
    // The SUB connects in the background: incr until a spawn event comes through (this
    // socket followed no events before).
    const spawned = () =>
      socket.messages.some((m) => m.type === "event" && m.topic === "watcher.web.spawn");
    await waitFor(
      async () => {
        assert.equal((await page.post("/api/daemons/0/watchers/web/incr")).status, 200);
        return waitFor(spawned, { timeout: 1000 }).then(
          () => true,
          () => false,
        );
      },
      { timeout: 20_000, message: "events from the daemon's new pub/sub endpoint" },
    );
  });
});

describe("circushttpd --ssh", () => {
  const skip = sshSkip;

  test(
    "every endpoint goes through ssh tunnels, a daemon added at run time's too",
    { skip },
    async () => {
      const d = await startDaemon((dir) => tickerSection(dir));
      const ssh = await startSshd();
      const httpd = await runHttpd(["--ssh", ssh.server, "--endpoint", d.endpoint], {
        ...process.env,
        CIRCUS_SSH_COMMAND: `ssh -i ${ssh.key} ${SSH_OPTIONS}`,
      });
      const page = new Page(httpd.base);
      page.csrf = String((await page.get("/api/session")).body.csrf);
      await waitFor(async () => (await page.get("/api/daemons/0/watchers")).status === 200, {
        timeout: 30_000,
        message: "the API through the tunnel",
      });
      const socket = await page.socket();
      socket.send({ type: "subscribe", daemon: "0", channels: ["events", "logs:web"] });
      await socket.wait((m) => m.type === "log", "a log line through the tunnel");
      assert.equal((await page.post("/api/daemons/0/watchers/web/incr")).status, 200);
      await socket.wait(
        (m) => m.type === "event" && m.topic === "watcher.web.spawn",
        "a spawn event",
      );

      // A second circusd, added through the API: reached through the ssh server as well.
      const other = await startDaemon((dir) => tickerSection(dir));
      const added = await page.post("/api/daemons", { endpoint: other.endpoint });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(added.body.endpoint, other.endpoint, "listed by the endpoint the user gave");
      const id = String(added.body.id);
      await waitFor(async () => (await page.get(`/api/daemons/${id}/watchers`)).status === 200, {
        timeout: 30_000,
        message: "the added daemon's API through its tunnel",
      });
      socket.send({ type: "subscribe", daemon: id, channels: ["logs:web"] });
      await socket.wait((m) => m.type === "log" && m.daemon === id, "its log lines too");

      // circushttpd itself connects to no circusd port: every connection is a tunnel's.
      const ports = [d, other].flatMap((x) =>
        [x.endpoint, x.pubsub].map((e) => Number(new URL(e).port)),
      );
      const direct = connectedPorts(httpd.pid).filter((port) => ports.includes(port));
      assert.deepEqual(direct, [], `circushttpd's direct connections to circusd ports`);
    },
  );
});
