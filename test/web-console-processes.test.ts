/**
 * The web console's watcher and process pages in a real browser (see web-console.test.ts for
 * how): a watcher stopped and started by its status, incr, a pid killed, the log tail. Its own
 * file so that each browser file stays well under the per-file time limit on a busy machine.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { screenshot } from "./helpers/browser.js";
import { waitFor, isGone } from "./helpers/circusd.js";
import { cleanupEachTest } from "./helpers/cleanup.js";
import {
  ADMIN,
  circusdPids,
  circusdStatus,
  loggedIn,
  numprocesses,
  openWatcher,
  shownPids,
  startConsoleSystem,
  system,
  waitShownPids,
} from "./helpers/web-console.js";

cleanupEachTest();

before(startConsoleSystem);

describe("the web console's process controls, in a real browser", () => {
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
});
