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
import { before, describe, test } from "node:test";
import { newPage, screenshot } from "./helpers/browser.js";
import { waitFor } from "./helpers/circusd.js";
import { cleanupEachTest } from "./helpers/cleanup.js";
import {
  ADMIN,
  csrfOf,
  errorOf,
  GUESSED,
  loggedIn,
  numprocesses,
  openWatcher,
  READER,
  sessionCookie,
  startConsoleSystem,
  system,
  upgradeStatus,
  waitShownPids,
} from "./helpers/web-console.js";

cleanupEachTest();

before(startConsoleSystem);

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
});
