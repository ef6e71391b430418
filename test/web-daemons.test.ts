/**
 * The web console over several daemons, in a real browser: circusd A runs circushttpd
 * (`[circus] httpd = true`), and circusd B, on TCP endpoints with its own circusd-stats, is
 * added through the daemons page's form. The list shows both up; B's watchers page shows
 * B's watcher; B stopped is shown down, and B started again on the same endpoints is shown
 * up again. No users file: the page is an anonymous admin's (circushttpd listens on
 * loopback). Bounded waits only; everything started is cleaned up through `defer`.
 *
 * Run: `npm run build && node --import tsx --test test/web-daemons.test.ts`; screenshots in
 * test-output/web/.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { newPage, screenshot } from "./helpers/browser.js";
import { makeTempDir, startCircusd, waitFor, type Circusd } from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { connect, RawClient, sleeperSection } from "./helpers/control.js";
import { freePort } from "./helpers/ctl.js";

cleanupEachTest();

/** The text of a daemon's state pill on the daemons page ("" while it has no row). */
async function stateOf(page: Page, id: string): Promise<string> {
  const pill = page.getByTestId(`daemon-state-${id}`);
  if ((await pill.count()) === 0) return "";
  return (await pill.innerText()).trim();
}

async function waitState(page: Page, id: string, state: string, timeout = 20_000): Promise<void> {
  let last = "";
  await waitFor(
    async () => {
      last = await stateOf(page, id);
      return last === state;
    },
    { timeout, message: () => `daemon ${id} shown ${state} on the daemons page; shown: ${last}` },
  );
}

/** A client of circusd `d` on its TCP `endpoint`, once it answers; closed at cleanup. */
async function connectTcp(d: Circusd, endpoint: string): Promise<RawClient> {
  const client = new RawClient(endpoint);
  defer(() => client.close());
  await waitFor(() => client.call("numwatchers", {}, { timeout: 500 }).then(() => true), {
    message: () => `circusd to answer on ${endpoint}; log:\n${d.log}\n${d.stderr}`,
  });
  return client;
}

/** Pids of the process rows shown on a watcher's page. */
async function shownPids(page: Page): Promise<number[]> {
  const ids = await page
    .locator('[data-testid^="process-"]')
    .filter({ visible: true })
    .evaluateAll((els) => els.map((e) => e.getAttribute("data-testid") ?? ""));
  return ids.flatMap((id) => {
    const pid = /^process-(\d+)$/.exec(id)?.[1];
    return pid === undefined ? [] : [Number(pid)];
  });
}

test("a second circusd added through the form: listed, browsed, down and back up", async (t) => {
  // circusd A, with the console.
  const dirA = makeTempDir("circus-web-a-");
  const httpPort = await freePort();
  const statsA = await freePort();
  const a = startCircusd(
    (d) => `[circus]
check_delay = 1
statsd = true
stats_endpoint = tcp://127.0.0.1:${statsA}
httpd = true
httpd_host = 127.0.0.1
httpd_port = ${httpPort}

${sleeperSection(d, "first", { numprocesses: 1 })}
`,
    { dir: dirA },
  );
  await connect(a);
  const base = `http://127.0.0.1:${httpPort}`;
  await waitFor(
    async () => {
      if (a.exitStatus) throw new Error(`circusd A exited: ${a.stderr}`);
      return (await fetch(`${base}/healthz`).catch(() => null))?.ok ?? false;
    },
    { timeout: 30_000, message: () => `circushttpd on ${base}; log:\n${a.log}\n${a.stderr}` },
  );

  // circusd B, on TCP endpoints kept for its second start, with circusd-stats.
  const dirB = makeTempDir("circus-web-b-");
  const [ctlB, pubB, statsB] = [await freePort(), await freePort(), await freePort()];
  const endpointB = `tcp://127.0.0.1:${ctlB}`;
  const statsEndpointB = `tcp://127.0.0.1:${statsB}`;
  const configB = (d: string) => `[circus]
endpoint = ${endpointB}
pubsub_endpoint = tcp://127.0.0.1:${pubB}
statsd = true
stats_endpoint = ${statsEndpointB}
check_delay = 1

${sleeperSection(d, "second", { numprocesses: 2 })}
`;
  let b: Circusd = startCircusd(configB, { dir: dirB });
  let clientB = await connectTcp(b, endpointB);

  const { page } = await newPage({ baseURL: base, name: t.name });
  await page.goto("/#/");
  await waitState(page, "0", "up");

  // Add B through the form, endpoint and stats endpoint.
  await page.getByTestId("add-daemon-endpoint").fill(endpointB);
  await page.getByTestId("add-daemon-stats").fill(statsEndpointB);
  await page.getByTestId("add-daemon-submit").click();
  const rowB = page.getByTestId("daemons").locator('tr[data-testid^="daemon-"]').nth(1);
  await rowB.waitFor();
  const idB = ((await rowB.getAttribute("data-testid")) ?? "").replace(/^daemon-/, "");
  assert.notEqual(idB, "0", "B has an id of its own");
  assert.equal(
    (await page.getByTestId("add-daemon-error").innerText()).trim(),
    "",
    "no error at the form",
  );
  assert.match(await rowB.innerText(), new RegExp(endpointB.replace(/\./g, "\\.")));
  await waitState(page, "0", "up");
  await waitState(page, idB, "up");
  // B is new to the page: if a banner says it is up, not "back up".
  const bannerB = page.getByTestId(`daemon-banner-${idB}`);
  if ((await bannerB.count()) > 0)
    assert.doesNotMatch(await bannerB.innerText().catch(() => ""), /back/);
  // The server lists B with its stats endpoint.
  const listed = (await (await page.request.get("/api/daemons")).json()) as {
    id: string;
    endpoint: string;
    statsEndpoint?: string;
  }[];
  assert.deepEqual(
    listed.map((d) => [d.id, d.endpoint, d.statsEndpoint ?? null]).find(([id]) => id === idB),
    [idB, endpointB, statsEndpointB],
  );
  // B's own circus processes, from its stats stream, in its row.
  await page
    .getByTestId(`circus-stats-${idB}`)
    .getByTestId("circus-proc-circusd")
    .waitFor({ timeout: 20_000 });
  await screenshot(page, "daemons-two");

  // B's watchers: its own watcher, not A's.
  await page.getByTestId(`daemon-link-${idB}`).click();
  await page.waitForURL(new RegExp(`#/d/${idB}$`));
  await page.getByTestId("watcher-second").waitFor();
  assert.equal(await page.getByTestId("watcher-first").count(), 0, "A's watcher is not B's");
  await waitFor(
    async () => (await page.getByTestId("watcher-count-second").innerText()).trim() === "2",
    { message: "B's watcher to show 2 processes" },
  );
  await page.getByTestId("watcher-link-second").click();
  await page.waitForURL(new RegExp(`#/d/${idB}/w/second$`));
  const pidsB = ((await clientB.call("list", { name: "second" })).pids as number[]).sort();
  await waitFor(
    async () => JSON.stringify((await shownPids(page)).sort()) === JSON.stringify(pidsB),
    { message: () => `B's pids ${pidsB.join(", ")} on its watcher's page` },
  );

  // B goes away: the page says so, on the watcher's page and on the daemons list.
  await b.stop();
  await waitFor(
    async () => (await bannerB.getAttribute("data-state").catch(() => null)) === "down",
    {
      timeout: 20_000,
      message: `the banner to say daemon ${idB} is down`,
    },
  );
  await page.getByTestId("nav-daemons").click();
  await waitState(page, idB, "down");
  await waitState(page, "0", "up");
  await screenshot(page, "daemons-one-down");

  // B again, on the same endpoints: shown up, and its watcher's new processes are shown.
  b = startCircusd(configB, { dir: dirB });
  clientB = await connectTcp(b, endpointB);
  await waitState(page, idB, "up");
  await waitState(page, "0", "up");
  await page.getByTestId(`daemon-link-${idB}`).click();
  const newPids = ((await clientB.call("list", { name: "second" })).pids as number[]).sort();
  assert.equal(newPids.length, 2);
  await waitFor(
    async () =>
      (
        await page
          .getByTestId("watcher-count-second")
          .innerText()
          .catch(() => "")
      ).trim() === "2",
    { timeout: 15_000, message: "B's watcher to show 2 processes after its restart" },
  );
  await page.getByTestId("watcher-link-second").click();
  await waitFor(
    async () => JSON.stringify((await shownPids(page)).sort()) === JSON.stringify(newPids),
    { timeout: 15_000, message: () => `B's new pids ${newPids.join(", ")} on its page` },
  );
});
