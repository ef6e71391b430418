/**
 * The web console's pages beyond the watchers and their processes, in a real browser on the
 * same kind of circusd as test/web-console.test.ts (test/helpers/web-console.ts): the
 * add-watcher form, the event timeline, the filter, the global options, socket hits, the
 * arbiter's reload and restart, and what the page says of an unknown watcher or daemon
 * (nginx and a standalone circushttpd: web-console-proxy.test.ts).
 * Run: `npm run build && node --import tsx --test test/web-console-manage.test.ts`.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { before, describe, test } from "node:test";
import { screenshot } from "./helpers/browser.js";
import { waitFor } from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { listSockets } from "./helpers/sockets.js";
import {
  ADMIN,
  circusdPids,
  circusdStatus,
  csrfOf,
  loggedIn,
  openWatcher,
  READER,
  startConsoleSystem,
  system,
  waitShownPids,
} from "./helpers/web-console.js";

cleanupEachTest();

before(startConsoleSystem);

describe("the web console's other pages, in a real browser", () => {
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
