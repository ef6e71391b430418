/**
 * The web console, circushttpd, as a user sees it: our built circusd with `[circus] httpd =
 * true` runs it on a port of its own, and a real browser (Debian's chromium, driven by
 * playwright-core) logs in, clicks and reads the page. What the page shows is cross-checked
 * with circusd itself, over its control socket. Every wait is bounded and polls (Playwright's
 * locators wait by themselves; waitFor for the rest); there are no fixed sleeps.
 *
 * The page's `data-testid`s are listed at the top of src/web/ui/main.ts; the API is
 * src/web/API.md. Run: `npm run build && node --import tsx --test test/web-console.test.ts`;
 * screenshots of the main pages land in test-output/web/, each test's last look in
 * test-output/web/end/.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { before, describe, test, type TestContext } from "node:test";
import type { APIResponse, Page } from "playwright-core";
import { newPage, screenshot } from "./helpers/browser.js";
import {
  ROOT,
  makeTempDir,
  startCircusd,
  testEndpoints,
  waitFor,
  isGone,
  type Circusd,
} from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { connect, sleeperSection, type RawClient } from "./helpers/control.js";
import { freePort } from "./helpers/ctl.js";
import { listSockets, tcpSocket } from "./helpers/sockets.js";

cleanupEachTest();

const HTTPD = path.join(ROOT, "dist/cli/circushttpd.js");
const TICKER = path.join(ROOT, "test/fixtures/ticker.mjs");
const NGINX = "/usr/sbin/nginx";

const ADMIN = { user: "root-admin", password: "correct horse battery" };
const READER = { user: "alice", password: "only looking" };
/** Only ever given wrong passwords: the login rate limit locks it out. */
const GUESSED = { user: "mallory", password: "never typed right" };

/** The hash line of `circushttpd hash-password`, fed the password on a pipe. */
function hashPassword(password: string): string {
  const run = spawnSync(process.execPath, [HTTPD, "hash-password"], {
    input: `${password}\n`,
    encoding: "utf8",
    timeout: 20_000,
  });
  assert.equal(run.status, 0, `circushttpd hash-password failed: ${run.stderr}`);
  const hash = run.stdout.trim();
  assert.match(hash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  return hash;
}

/** The circusd every test of this file looks at, its web console's address and a client. */
interface System {
  circusd: Circusd;
  base: string;
  control: RawClient;
}

let system: System;

before(async () => {
  const dir = makeTempDir("circus-web-");
  const users = path.join(dir, "users");
  writeFileSync(
    users,
    "# the test's users\n" +
      `${ADMIN.user}:admin:${hashPassword(ADMIN.password)}\n` +
      `${READER.user}:readonly:${hashPassword(READER.password)}\n` +
      `${GUESSED.user}:readonly:${hashPassword(GUESSED.password)}\n`,
  );
  const port = await freePort();
  const stats = await freePort();
  const circusd = startCircusd(
    (d) =>
      `[circus]
check_delay = 1
statsd = true
stats_endpoint = tcp://127.0.0.1:${stats}
httpd = true
httpd_host = 127.0.0.1
httpd_port = ${port}
httpd_users = ${users}

[watcher:ticker]
cmd = ${process.execPath} ${TICKER} ${d}
numprocesses = 1
graceful_timeout = 1

${sleeperSection(d, "sleepers", { numprocesses: 2 })}
${sleeperSection(d, "spare", { numprocesses: 1 })}
${tcpSocket("queue")}`,
    { dir },
  );
  const control = await connect(circusd);
  const watchers = (await control.call("list")).watchers as string[];
  assert.ok(
    watchers.includes("circushttpd"),
    `circusd runs no circushttpd watcher with httpd = true: ${watchers.join(", ")}`,
  );
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (circusd.exitStatus) throw new Error(`circusd exited: ${circusd.stderr}`);
      return (await fetch(`${base}/healthz`)).ok;
    },
    {
      timeout: 30_000,
      message: () => `circushttpd to answer on ${base}; log:\n${circusd.log}\n${circusd.stderr}`,
    },
  );
  system = { circusd, base, control };
});

// ---------------------------------------------------------------------------------------------
// What the tests do as a user

/** A fresh browser context on the console at `base`, logged in as `who`, showing daemon 0. */
async function loggedIn(
  t: TestContext,
  who: { user: string; password: string },
  base = system.base,
): Promise<Page> {
  const { page } = await newPage({ baseURL: base, name: t.name });
  await page.goto("/");
  await page.getByTestId("login-user").fill(who.user);
  await page.getByTestId("login-password").fill(who.password);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("login-form").waitFor({ state: "detached" });
  await page.goto("/#/d/0");
  await page.getByTestId("watchers").waitFor();
  return page;
}

/** The watcher's page (its processes, buttons, log tail), reached by its link. */
async function openWatcher(page: Page, name: string): Promise<void> {
  await page.getByTestId(`watcher-link-${name}`).click();
  await page.waitForURL(new RegExp(`#/d/0/w/${name}$`));
}

/** Pids of the process rows a user sees (`data-testid="process-PID"`). */
async function shownPids(page: Page): Promise<number[]> {
  // Visible rows only: the virtual list hides the rows it does not need, keeping them.
  const ids = await page
    .locator('[data-testid^="process-"]')
    .filter({ visible: true })
    .evaluateAll((els) => els.map((e) => e.getAttribute("data-testid") ?? ""));
  return ids
    .map((id) => /^process-(\d+)$/.exec(id)?.[1])
    .filter((pid): pid is string => pid !== undefined)
    .map(Number);
}

/** Waits until the page shows exactly `count` process rows, and returns their pids. */
async function waitShownPids(page: Page, count: number, timeout = 15_000): Promise<number[]> {
  let last: number[] = [];
  return waitFor(
    async () => {
      last = await shownPids(page);
      return last.length === count ? last : null;
    },
    { timeout, message: () => `${count} process rows on the page; shown: ${last.join(", ")}` },
  );
}

/** What circusd itself says: the pids of a watcher, over the control socket. */
async function circusdPids(name: string): Promise<number[]> {
  const reply = await system.control.call("list", { name });
  assert.equal(reply.status, "ok", JSON.stringify(reply));
  return (reply.pids as number[]).slice().sort((a, b) => a - b);
}

async function circusdStatus(name: string): Promise<string> {
  const reply = await system.control.call("status", { name });
  return String(reply.status);
}

async function numprocesses(name: string): Promise<number> {
  const reply = await system.control.call("numprocesses", { name });
  return Number(reply.numprocesses);
}

/** The session's CSRF token, as the page gets it. */
async function csrfOf(page: Page): Promise<string> {
  const session = await page.request.get("/api/session");
  assert.equal(session.status(), 200, await session.text());
  const body = (await session.json()) as { csrf: string };
  return body.csrf;
}

async function errorOf(response: APIResponse): Promise<string> {
  return String(((await response.json()) as { error?: unknown }).error);
}

/** The session cookie of a page's context, as a Cookie header. */
async function sessionCookie(page: Page): Promise<string> {
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "circus_session");
  assert.ok(session, `a circus_session cookie: ${JSON.stringify(cookies)}`);
  return `circus_session=${session.value}`;
}

/**
 * The status of a WebSocket upgrade of `/ws` at `base` with these headers: 101 when the
 * server upgrades (the socket is closed at once), else the HTTP status it answered.
 */
function upgradeStatus(
  base: string,
  headers: { cookie?: string; origin: string },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${base}/ws`, {
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
        Origin: headers.origin,
        ...(headers.cookie ? { Cookie: headers.cookie } : {}),
      },
      timeout: 10_000,
    });
    request.once("upgrade", (response, socket) => {
      socket.destroy();
      resolve(response.statusCode ?? 0);
    });
    request.once("response", (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.once("timeout", () => request.destroy(new Error(`no answer from ${base}/ws`)));
    request.once("error", reject);
  });
}

// ---------------------------------------------------------------------------------------------

describe("circushttpd, the web console, in a real browser", () => {
  test("log in: a wrong password is told, the right one shows the watchers", async (t) => {
    const { page } = await newPage({ baseURL: system.base, name: t.name });
    await page.goto("/");
    await page.getByTestId("login-form").waitFor();
    await screenshot(page, "login");

    await page.getByTestId("login-user").fill(ADMIN.user);
    await page.getByTestId("login-password").fill("not the password");
    await page.getByTestId("login-submit").click();
    await waitFor(
      async () => /wrong user or password/i.test(await page.getByTestId("login-error").innerText()),
      {
        message: "the login error to say the password is wrong",
      },
    );
    assert.equal(await page.getByTestId("watchers").count(), 0, "no watchers before logging in");

    await page.getByTestId("login-password").fill(ADMIN.password);
    await page.getByTestId("login-submit").click();
    await page.getByTestId("login-form").waitFor({ state: "detached" });
    await page.goto("/#/d/0");
    for (const name of ["ticker", "sleepers", "spare"])
      await page.getByTestId(`watcher-${name}`).waitFor();
    await waitFor(
      async () => (await page.getByTestId("watcher-count-sleepers").innerText()).trim() === "2",
      {
        message: "the sleepers watcher to show 2 processes",
      },
    );
    await screenshot(page, "watchers");
  });

  test("five wrong passwords in a row, and the next try is told to wait", async (t) => {
    const { page } = await newPage({ baseURL: system.base, name: t.name });
    await page.goto("/");
    await page.getByTestId("login-user").fill(GUESSED.user);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      await page.getByTestId("login-password").fill(`guess ${i}`);
      const answered = page.waitForResponse((r) => r.url().endsWith("/api/login"));
      await page.getByTestId("login-submit").click();
      statuses.push((await answered).status());
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
    await waitFor(
      async () => /too many failed logins/i.test(await page.getByTestId("login-error").innerText()),
      { message: "the login error to say there were too many tries" },
    );
    // Even the right password waits out the lock.
    await page.getByTestId("login-password").fill(GUESSED.password);
    const answered = page.waitForResponse((r) => r.url().endsWith("/api/login"));
    await page.getByTestId("login-submit").click();
    assert.equal((await answered).status(), 429);
    assert.ok((await answered).headers()["retry-after"], "a Retry-After header");
  });

  test("log out: the login form is back and the old session is gone", async (t) => {
    const page = await loggedIn(t, ADMIN);
    const cookie = await sessionCookie(page);
    await page.getByTestId("logout").click();
    await page.getByTestId("login-form").waitFor();
    const old = await fetch(`${system.base}/api/session`, { headers: { cookie } });
    assert.equal(old.status, 401, "the old cookie no longer opens a session");
  });

  test("stop a watcher by its status, its processes go; start it, they come back", async (t) => {
    const page = await loggedIn(t, ADMIN);
    const before = await circusdPids("sleepers");
    assert.equal(before.length, 2);
    const toggle = page.getByTestId("watcher-status-sleepers");
    await waitFor(async () => /active/i.test(await toggle.innerText()), {
      message: "sleepers active",
    });

    await toggle.click();
    await waitFor(async () => /stopped/i.test(await toggle.innerText()), {
      message: "the status to say stopped",
    });
    await waitFor(
      async () => (await page.getByTestId("watcher-count-sleepers").innerText()).trim() === "0",
      {
        message: "the sleepers to show 0 processes",
      },
    );
    assert.equal(await circusdStatus("sleepers"), "stopped");
    await waitFor(() => before.every(isGone), { message: "the sleepers' processes to be gone" });

    await toggle.click();
    await waitFor(async () => /active/i.test(await toggle.innerText()), {
      message: "the status to say active again",
    });
    await waitFor(
      async () => (await page.getByTestId("watcher-count-sleepers").innerText()).trim() === "2",
      {
        message: "the sleepers to show 2 processes again",
      },
    );
    const after = await circusdPids("sleepers");
    assert.equal(after.length, 2);
    assert.ok(
      after.every((pid) => !before.includes(pid)),
      "new processes, not the old ones",
    );

    // The watcher's own page lists exactly circusd's pids.
    await openWatcher(page, "sleepers");
    const shown = await waitShownPids(page, 2);
    assert.deepEqual(
      shown.sort((a, b) => a - b),
      after,
    );
    await screenshot(page, "watcher-page");
  });

  test("incr shows a new process row and the chart follows it", async (t) => {
    const page = await loggedIn(t, ADMIN);
    await openWatcher(page, "spare");
    const [first] = await waitShownPids(page, 1);
    // The charts draw from circusd-stats, one line per process, its legend naming the pid.
    const legend = (testid: string) =>
      page
        .getByTestId(testid)
        .locator(".u-legend")
        .innerText()
        .catch(() => "");
    await waitFor(async () => (await legend("chart-cpu")).includes(String(first)), {
      timeout: 20_000,
      message: `a line for ${first} in the CPU chart`,
    });

    await page.getByTestId("incr").click();
    const pids = await waitShownPids(page, 2);
    const added = pids.find((pid) => pid !== first);
    assert.ok(added, `a new pid besides ${first}: ${pids.join(", ")}`);
    assert.deepEqual(
      await circusdPids("spare"),
      pids.sort((a, b) => a - b),
    );
    // A line for the new process in both charts.
    for (const chart of ["chart-cpu", "chart-mem"])
      await waitFor(async () => (await legend(chart)).includes(String(added)), {
        timeout: 20_000,
        message: () => `a line for ${added} in ${chart}`,
      });
    await screenshot(page, "watcher-incr");
    // The spawn is in the watcher's event timeline, and circusd logged who asked for it.
    await page
      .getByTestId("event")
      .filter({ hasText: String(added) })
      .first()
      .waitFor();
    await system.circusd.waitForLog(new RegExp(`${ADMIN.user} via circushttpd: incr .*"spare"`));

    await page.getByTestId("decr").click();
    await waitShownPids(page, 1);
    assert.equal(await numprocesses("spare"), 1);
  });

  test("kill a pid: a new pid replaces it", async (t) => {
    const page = await loggedIn(t, ADMIN);
    await openWatcher(page, "spare");
    const [victim] = await waitShownPids(page, 1);
    assert.ok(victim);
    // One click kills (no confirmation). Never a second: the row is recycled for the
    // replacement as soon as it shows, and a second click would kill that one.
    await page.getByTestId(`kill-${victim}`).click();
    await waitFor(() => isGone(victim), { message: `pid ${victim} to be killed` });
    const [replacement] = await waitFor(
      async () => {
        const pids = await shownPids(page);
        return pids.length === 1 && pids[0] !== victim ? pids : null;
      },
      { message: `a new process row instead of ${victim}` },
    );
    assert.deepEqual(await circusdPids("spare"), [replacement]);
    // Its reap, in the timeline, names the signal that ended it.
    await page
      .getByTestId("event")
      .and(page.locator('[data-action="reap"]'))
      .filter({ hasText: `pid ${victim}` })
      .filter({ hasText: /killed by SIG(TERM|KILL)/ })
      .first()
      .waitFor({ timeout: 15_000 });
  });

  test("an unknown watcher or daemon in the URL is told in the page", async (t) => {
    const page = await loggedIn(t, READER);
    const banner = page.getByTestId("error-banner");
    await page.goto("/#/d/0/w/nosuch");
    await waitFor(
      async () => (await banner.isVisible()) && /no watcher nosuch/.test(await banner.innerText()),
      { message: "the banner to say there is no watcher nosuch" },
    );
    await page.getByTestId("error-dismiss").click();
    await page.goto("/#/d/7");
    await waitFor(
      async () => (await banner.isVisible()) && /no daemon 7/.test(await banner.innerText()),
      {
        message: "the banner to say there is no daemon 7",
      },
    );
    // The page still works: the real daemon's watchers are a click away.
    await page.getByTestId("nav-daemons").click();
    await page.getByTestId("daemon-link-0").click();
    await page.getByTestId("watcher-spare").waitFor();
  });

  test("the event timeline shows a process's exit code", async (t) => {
    const added = await system.control.call("add", {
      name: "exiter",
      cmd: "/bin/sh",
      args: ["-c", "sleep 1; exit 3"],
      options: { numprocesses: 1, env: { CIRCUS_IT_MARKER: system.circusd.dir } },
      start: true,
    });
    assert.equal(added.status, "ok", JSON.stringify(added));
    defer(() => system.control.call("rm", { name: "exiter", waiting: true }));
    const page = await loggedIn(t, ADMIN);
    await openWatcher(page, "exiter");
    const reaps = page.getByTestId("event").and(page.locator('[data-action="reap"]'));
    await reaps.filter({ hasText: "exit code 3" }).first().waitFor({ timeout: 15_000 });
    await page.getByTestId("event").and(page.locator('[data-action="spawn"]')).first().waitFor();
    await screenshot(page, "watcher-events");
  });

  test("add a watcher through the form; a bad numprocesses is refused at its field", async (t) => {
    const page = await loggedIn(t, ADMIN);
    await page.getByTestId("add-watcher-link").click();
    await page.getByTestId("field-name").fill("added");
    await page.getByTestId("field-cmd").fill("/bin/sleep 1000");
    for (const bad of ["-1", "abc"]) {
      await page.getByTestId("field-numprocesses").fill(bad);
      await page.getByTestId("add-watcher-submit").click();
      await waitFor(
        async () => (await page.getByTestId("error-numprocesses").innerText()).trim() !== "",
        {
          message: `an error at numprocesses for ${bad}`,
        },
      );
      const reply = await system.control.call("list");
      assert.ok(!(reply.watchers as string[]).includes("added"), `nothing added for ${bad}`);
    }
    await screenshot(page, "add-watcher-refused");
    // The server refuses it too, at the same field, should a client skip the page's checks.
    for (const bad of [-1, "abc"]) {
      const response = await page.request.post("/api/daemons/0/watchers", {
        headers: { "X-CSRF-Token": await csrfOf(page) },
        data: { name: "added", cmd: "/bin/sleep 1000", numprocesses: bad },
      });
      assert.equal(response.status(), 400, await response.text());
      const body = (await response.json()) as { fields?: Record<string, string> };
      assert.ok(body.fields?.numprocesses, `fields.numprocesses: ${JSON.stringify(body)}`);
    }

    await page.getByTestId("field-numprocesses").fill("2");
    await page.getByTestId("add-watcher-submit").click();
    // Once added, the page shows the new watcher's own page, with its processes.
    await page.waitForURL(/#\/d\/0\/w\/added$/);
    const shown = await waitShownPids(page, 2);
    assert.deepEqual(
      shown.sort((a, b) => a - b),
      await circusdPids("added"),
    );
    await page.getByTestId("nav-daemons").click();
    await page.getByTestId("daemon-link-0").click();
    await page.getByTestId("watcher-added").waitFor();
    // Leave circusd as the other tests expect it.
    await system.control.call("rm", { name: "added", waiting: true });
  });

  test("the API adds a watcher with autostart = false, as API.md says: stopped", async (t) => {
    const page = await loggedIn(t, ADMIN);
    const response = await page.request.post("/api/daemons/0/watchers", {
      headers: { "X-CSRF-Token": await csrfOf(page) },
      data: { name: "dormant", cmd: "/bin/sleep 1000", autostart: false },
    });
    if (response.status() === 201) defer(() => system.control.call("rm", { name: "dormant" }));
    assert.equal(response.status(), 201, await response.text());
    assert.equal(await circusdStatus("dormant"), "stopped");
  });

  test("a line printed by a process is in the log tail within 1 s", async (t) => {
    const page = await loggedIn(t, ADMIN);
    await openWatcher(page, "ticker");
    const tail = page.getByTestId("log-tail");
    await tail.waitFor();
    // The browser records when each line appears; the line says when it was printed.
    // (A string: the tests are compiled without the DOM's types.)
    const since = (await page.evaluate(`(() => {
      const seen = [];
      window.seenLines = seen;
      const box = document.querySelector('[data-testid="log-tail"]');
      new MutationObserver(() => {
        const at = Date.now();
        for (const line of box.querySelectorAll('[data-testid="log-line"]')) {
          const text = line.textContent ?? "";
          if (!seen.some((s) => s.text === text)) seen.push({ text, at });
        }
      }).observe(box, { childList: true, subtree: true, characterData: true });
      return Date.now();
    })()`)) as number;
    // Lines printed from half a second on (older ones may come from a backlog), for 3 s.
    const from = since + 500;
    const until = from + 3000;
    const seen = await waitFor(
      async () => {
        const list = (await page.evaluate("window.seenLines")) as { text: string; at: number }[];
        return list.some((s) => Number(/tick \d+ (\d+)/.exec(s.text)?.[1]) > until) ? list : null;
      },
      { timeout: 15_000, message: "tick lines printed after the watch window" },
    );
    const delays = seen
      .map((s) => ({ printed: Number(/tick \d+ (\d+)/.exec(s.text)?.[1]), at: s.at, text: s.text }))
      .filter((s) => s.printed >= from && s.printed <= until);
    assert.ok(delays.length >= 10, `about 15 lines in 3 s: ${delays.length}`);
    await screenshot(page, "watcher-log");
    const slowest = Math.max(...delays.map((s) => s.at - s.printed));
    t.diagnostic(`${delays.length} lines, the slowest in ${slowest} ms`);
    const late = delays.filter((s) => s.at - s.printed > 1000);
    assert.deepEqual(late, [], "every line within 1 s of being printed");
  });

  test("a read-only user sees no control buttons, and its forged POST is refused", async (t) => {
    const page = await loggedIn(t, READER);
    await page.getByTestId("watcher-status-sleepers").waitFor();
    assert.equal(
      await page.locator('button[data-testid="watcher-status-sleepers"]').count(),
      0,
      "the status is no button",
    );
    assert.equal(await page.getByTestId("add-watcher-link").count(), 0, "no add-watcher link");
    await screenshot(page, "watchers-readonly");
    await openWatcher(page, "spare");
    await waitShownPids(page, 1);
    for (const id of ["incr", "decr"]) assert.equal(await page.getByTestId(id).count(), 0, id);
    assert.equal(await page.locator('[data-testid^="kill-"]').count(), 0, "no kill buttons");

    const before = await numprocesses("spare");
    const forged = await page.request.post("/api/daemons/0/watchers/spare/incr", {
      headers: { "X-CSRF-Token": await csrfOf(page) },
      data: {},
    });
    assert.equal(forged.status(), 403, await forged.text());
    assert.match(await errorOf(forged), /read-only user alice cannot incr/);
    assert.equal(await numprocesses("spare"), before);
  });

  test("a POST without the CSRF token, or with a wrong one, is refused", async (t) => {
    const page = await loggedIn(t, ADMIN);
    const before = await numprocesses("spare");
    const none = await page.request.post("/api/daemons/0/watchers/spare/incr", { data: {} });
    assert.equal(none.status(), 403, await none.text());
    assert.match(await errorOf(none), /missing or wrong CSRF token/);
    const wrong = await page.request.post("/api/daemons/0/watchers/spare/incr", {
      headers: { "X-CSRF-Token": "x".repeat(43) },
      data: {},
    });
    assert.equal(wrong.status(), 403, await wrong.text());
    assert.equal(await numprocesses("spare"), before);
    // The right token works: the refusals were the token's doing.
    const right = await page.request.post("/api/daemons/0/watchers/spare/decr", {
      headers: { "X-CSRF-Token": await csrfOf(page) },
      data: {},
    });
    assert.equal(right.status(), 200, await right.text());
    await system.control.call("incr", { name: "spare" });
  });

  test("the WebSocket wants the session cookie and the page's own origin", async (t) => {
    const page = await loggedIn(t, ADMIN);
    const cookie = await sessionCookie(page);
    const origin = system.base;
    assert.equal(await upgradeStatus(system.base, { cookie, origin }), 101);
    assert.equal(await upgradeStatus(system.base, { origin }), 403, "no cookie");
    assert.equal(
      await upgradeStatus(system.base, { cookie, origin: "http://evil.example" }),
      403,
      "another origin",
    );
  });

  test("the filter narrows the watchers to the names that contain it", async (t) => {
    const page = await loggedIn(t, READER);
    const shown = async () =>
      (
        await page
          .locator('[data-testid^="watcher-link-"]')
          .evaluateAll((els) => els.map((e) => e.textContent ?? ""))
      ).sort();
    await page.getByTestId("watcher-ticker").waitFor();
    const all = await shown();
    assert.deepEqual(
      all,
      ((await system.control.call("list")).watchers as string[]).slice().sort(),
      "every watcher of circusd, unfiltered",
    );
    let last: string[] = [];
    await page.getByTestId("watcher-search").fill("SPA");
    await waitFor(async () => (last = await shown()).join() === "spare", {
      message: () => `only spare for "SPA": ${last.join(", ")}`,
    });
    await page.getByTestId("watcher-search").fill("s");
    await waitFor(async () => (await shown()).every((n) => n.includes("s")), {
      message: "only names with an s",
    });
    assert.ok((await shown()).includes("sleepers") && !(await shown()).includes("ticker"));
    await page.getByTestId("watcher-search").fill("");
    await waitFor(async () => (await shown()).length === all.length, { message: "all back" });
  });

  test("the global options page shows what globaloptions says", async (t) => {
    const page = await loggedIn(t, READER);
    await page.getByTestId("options-link").click();
    await page.waitForURL(/#\/d\/0\/options$/);
    await page.getByTestId("option-check_delay").waitFor();
    const options = (await system.control.call("globaloptions")).options as Record<string, unknown>;
    const shown = await page
      .locator('[data-testid^="option-"]')
      .evaluateAll((els) =>
        els.map((e) => [e.getAttribute("data-testid") ?? "", e.textContent ?? ""]),
      );
    assert.deepEqual(
      new Map(shown.map(([id, text]) => [String(id).slice("option-".length), text])),
      new Map(
        Object.entries(options).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
      ),
    );
    assert.equal(await page.getByTestId("option-check_delay").innerText(), "1");
    await screenshot(page, "options");
  });

  test("a socket's hits: connections to it are counted on the page", async (t) => {
    const queue = (await listSockets(system.control)).get("queue");
    assert.ok(queue?.port !== undefined);
    const page = await loggedIn(t, READER);
    const entry = page
      .getByTestId("sockets")
      .locator("li")
      .filter({
        hasText: `127.0.0.1:${queue.port} (fd ${queue.fd}):`,
      });
    const hits = async () => Number(/: (\d+)$/.exec(await entry.innerText())?.[1]);
    await entry.waitFor({ timeout: 20_000 });
    assert.equal(await hits(), 0, "no connection yet");
    // Nobody accepts on the queue: the connections wait in its backlog, each arrival seen.
    for (let i = 0; i < 3; i++) {
      const socket = net.connect(queue.port, "127.0.0.1");
      defer(() => socket.destroy());
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("error", reject);
      });
    }
    await waitFor(async () => (await hits()) > 0, {
      timeout: 20_000,
      message: "hits on the queue socket",
    });
    assert.ok((await hits()) <= 3, `${await hits()} hits for 3 connections`);
    // The total counts the console's own socket too: at least the queue's.
    assert.ok(Number(await page.getByTestId("socket-hits").innerText()) >= (await hits()));
  });

  // Last of its group: every process (circusd-stats' too) is new after it.
  test("reload, then restart, every watcher from the page; the console lives on", async (t) => {
    const page = await loggedIn(t, ADMIN);
    const [httpd] = await circusdPids("circushttpd");
    for (const action of ["reload", "restart"]) {
      const before = new Map<string, number[]>();
      for (const name of ["sleepers", "spare", "ticker"]) before.set(name, await circusdPids(name));
      const button = page.getByTestId(`arbiter-${action}`);
      // A first click only arms the button: nothing changes.
      await button.click();
      await waitFor(async () => /again/i.test(await button.innerText()), {
        message: `the ${action} button to ask for a second click`,
      });
      assert.deepEqual(await circusdPids("sleepers"), before.get("sleepers"));
      await button.click();
      for (const [name, old] of before)
        await waitFor(
          async () => {
            const now = await circusdPids(name);
            return now.length === old.length && now.every((pid) => !old.includes(pid));
          },
          { timeout: 20_000, message: `${action}: new processes for ${name}` },
        );
      await system.circusd.waitForLog(
        new RegExp(`${ADMIN.user} via circushttpd: ${action} .*circushttpd`),
      );
      // Still logged in, on the same circushttpd, and the page follows the new processes.
      assert.deepEqual(await circusdPids("circushttpd"), [httpd], "circushttpd kept");
      await waitFor(
        async () => (await page.getByTestId("watcher-count-sleepers").innerText()).trim() === "2",
        { message: "the sleepers' 2 processes on the page" },
      );
      assert.equal(await page.getByTestId("login-form").count(), 0, "still logged in");
      const banner = page.getByTestId("error-banner");
      assert.equal(await banner.isVisible(), false, `no error shown: ${await banner.innerText()}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Behind a real reverse proxy

/**
 * Debian's nginx in the foreground, with a config of its own in a temp folder that includes
 * examples/nginx-circushttpd.conf (the README's, proxying `/`: pages, API and the WebSocket
 * upgrade) with only its two addresses changed: nginx's port and circushttpd's.
 * Returns the proxy's address.
 */
async function startNginx(upstream: string): Promise<string> {
  const dir = makeTempDir("circus-web-nginx-");
  const port = await freePort();
  const example = readFileSync(path.join(ROOT, "examples/nginx-circushttpd.conf"), "utf8");
  const site = example
    .replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${port};`)
    .replace(/^(\s*)server 127\.0\.0\.1:8080;$/m, `$1server ${new URL(upstream).host};`);
  assert.notEqual(site, example, "the example's addresses were found");
  assert.ok(site.includes(String(port)) && site.includes(new URL(upstream).host));
  writeFileSync(path.join(dir, "circushttpd.conf"), site);
  const conf = path.join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `# One process in the foreground, everything inside ${dir}.
master_process off;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/circushttpd.conf;
}
`,
  );
  const nginx = spawn(NGINX, ["-p", dir, "-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  nginx.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  let exited = false;
  nginx.once("exit", () => (exited = true));
  defer(() => {
    if (!exited) nginx.kill("SIGKILL");
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (exited) throw new Error(`nginx exited: ${stderr}`);
      return (await fetch(`${base}/healthz`)).ok;
    },
    { message: () => `nginx to proxy ${base}/healthz; stderr: ${stderr}` },
  );
  return base;
}

// nginx is one of the programs `npm test` installs (scripts/test-deps.mjs): never skipped.
describe("circushttpd behind nginx", () => {
  test("log in through the proxy; the WebSocket carries the log tail", async (t) => {
    const proxy = await startNginx(system.base);
    const page = await loggedIn(t, ADMIN, proxy);
    await page.getByTestId("watcher-ticker").waitFor();
    await openWatcher(page, "ticker");
    // Log lines only come over the WebSocket: one arriving proves the upgrade went through.
    await page
      .getByTestId("log-line")
      .filter({ hasText: /tick \d+ \d+/ })
      .first()
      .waitFor();
    // Through the proxy too, the server checks the upgrade's Origin against its Host.
    const cookie = await sessionCookie(page);
    assert.equal(await upgradeStatus(proxy, { cookie, origin: proxy }), 101);
    assert.equal(await upgradeStatus(proxy, { cookie, origin: "http://evil.example" }), 403);
  });
});

// ---------------------------------------------------------------------------------------------
// A circusd that goes away and comes back

describe("circushttpd on its own, without a users file", () => {
  test("the page says when circusd is down, and again when it is back", async (t) => {
    const dir = makeTempDir("circus-web-down-");
    const config = (d: string) => sleeperSection(d, "lonely", { numprocesses: 1 });
    let circusd = startCircusd(config, { dir });
    await connect(circusd);
    const port = await freePort();
    // No --users: an anonymous admin, allowed since it listens on a loopback address.
    const httpd = spawn(
      process.execPath,
      [
        HTTPD,
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--endpoint",
        testEndpoints(dir).endpoint as string,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    httpd.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    defer(() => {
      if (httpd.exitCode === null && httpd.signalCode === null) httpd.kill("SIGKILL");
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/healthz`)).ok, {
      message: () => `circushttpd on ${base}; stderr: ${stderr}`,
    });

    const { page } = await newPage({ baseURL: base, name: t.name });
    await page.goto("/#/d/0");
    await page.getByTestId("watcher-lonely").waitFor();
    assert.equal(await page.getByTestId("login-form").count(), 0, "no login without users");
    assert.equal((await page.getByTestId("role").innerText()).trim(), "admin");

    await circusd.stop();
    const banner = page.getByTestId("daemon-banner-0");
    await waitFor(async () => (await banner.getAttribute("data-state")) === "down", {
      message: "the page to say daemon 0 is down",
    });
    await screenshot(page, "daemon-down");

    circusd = startCircusd(config, { dir });
    await connect(circusd);
    await waitFor(
      async () =>
        (await banner.count()) === 0 || (await banner.getAttribute("data-state")) === "up",
      { timeout: 20_000, message: "the page to say daemon 0 is back" },
    );
    // And it works again: the watcher's processes are those of the new circusd.
    await page.getByTestId("watcher-link-lonely").click();
    const pids = await waitFor(async () => {
      const shown = await shownPids(page);
      return shown.length === 1 ? shown : null;
    });
    const client = await connect(circusd);
    assert.deepEqual(pids, (await client.call("list", { name: "lonely" })).pids);
  });
});
