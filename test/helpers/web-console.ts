/**
 * What the web console's browser tests share (test/web-console*.test.ts): the circusd they
 * look at, with `[circus] httpd = true`, and what they do as a user (log in, open a
 * watcher, read the process rows) or check against circusd itself.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import type { TestContext } from "node:test";
import type { APIResponse, Page } from "playwright-core";
import { newPage } from "./browser.js";
import { ROOT, makeTempDir, startCircusd, waitFor, type Circusd } from "./circusd.js";
import { connect, sleeperSection, type RawClient } from "./control.js";
import { freePort } from "./ctl.js";
import { tcpSocket } from "./sockets.js";

export const HTTPD = path.join(ROOT, "dist/cli/circushttpd.js");
export const TICKER = path.join(ROOT, "test/fixtures/ticker.mjs");
export const NGINX = "/usr/sbin/nginx";

export const ADMIN = { user: "root-admin", password: "correct horse battery" };
export const READER = { user: "alice", password: "only looking" };
/** Only ever given wrong passwords: the login rate limit locks it out. */
export const GUESSED = { user: "mallory", password: "never typed right" };

/** The hash line of `circushttpd hash-password`, fed the password on a pipe. */
export function hashPassword(password: string): string {
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
export interface System {
  circusd: Circusd;
  base: string;
  control: RawClient;
}

/** The system the tests look at, once {@link startConsoleSystem} has run. */
export let system: System;

/**
 * Starts the circusd every test of a file looks at (run it in `before`): circushttpd with
 * three users, circusd-stats, a ticker, sleepers, a spare and a socket nobody accepts on.
 */
export async function startConsoleSystem(): Promise<void> {
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
}

// ---------------------------------------------------------------------------------------------
// What the tests do as a user

/** A fresh browser context on the console at `base`, logged in as `who`, showing daemon 0. */
export async function loggedIn(
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
export async function openWatcher(page: Page, name: string): Promise<void> {
  await page.getByTestId(`watcher-link-${name}`).click();
  await page.waitForURL(new RegExp(`#/d/0/w/${name}$`));
}

/** Pids of the process rows a user sees (`data-testid="process-PID"`). */
export async function shownPids(page: Page): Promise<number[]> {
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
export async function waitShownPids(
  page: Page,
  count: number,
  timeout = 15_000,
): Promise<number[]> {
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
export async function circusdPids(name: string): Promise<number[]> {
  const reply = await system.control.call("list", { name });
  assert.equal(reply.status, "ok", JSON.stringify(reply));
  return (reply.pids as number[]).slice().sort((a, b) => a - b);
}

export async function circusdStatus(name: string): Promise<string> {
  const reply = await system.control.call("status", { name });
  return String(reply.status);
}

export async function numprocesses(name: string): Promise<number> {
  const reply = await system.control.call("numprocesses", { name });
  return Number(reply.numprocesses);
}

/** The session's CSRF token, as the page gets it. */
export async function csrfOf(page: Page): Promise<string> {
  const session = await page.request.get("/api/session");
  assert.equal(session.status(), 200, await session.text());
  const body = (await session.json()) as { csrf: string };
  return body.csrf;
}

export async function errorOf(response: APIResponse): Promise<string> {
  return String(((await response.json()) as { error?: unknown }).error);
}

/** The session cookie of a page's context, as a Cookie header. */
export async function sessionCookie(page: Page): Promise<string> {
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "circus_session");
  assert.ok(session, `a circus_session cookie: ${JSON.stringify(cookies)}`);
  return `circus_session=${session.value}`;
}

/**
 * The status of a WebSocket upgrade of `/ws` at `base` with these headers: 101 when the
 * server upgrades (the socket is closed at once), else the HTTP status it answered.
 */
export function upgradeStatus(
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
