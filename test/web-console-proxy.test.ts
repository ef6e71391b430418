/**
 * The web console behind a real nginx, a circushttpd of its own whose circusd goes away and
 * comes back, and one whose Discover button finds and adds a daemon, in a real browser (see test/web-console.test.ts for how). Its own file so
 * that each browser file stays well under the per-file time limit on a busy machine.
 * Run: `npm run build && node --import tsx --test test/web-console-proxy.test.ts`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { newPage, screenshot } from "./helpers/browser.js";
import { ROOT, makeTempDir, startCircusd, testEndpoints, waitFor } from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { connect, sleeperSection } from "./helpers/control.js";
import { freePort } from "./helpers/ctl.js";
import {
  ADMIN,
  HTTPD,
  loggedIn,
  NGINX,
  openWatcher,
  sessionCookie,
  shownPids,
  startConsoleSystem,
  system,
  upgradeStatus,
} from "./helpers/web-console.js";

cleanupEachTest();

before(startConsoleSystem);
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

/**
 * A circushttpd of its own on a free loopback port, without users (an anonymous admin), with
 * `args`; killed at cleanup. Returns its base URL once it answers.
 */
async function startHttpd(args: string[]): Promise<string> {
  const port = await freePort();
  const httpd = spawn(
    process.execPath,
    [HTTPD, "--host", "127.0.0.1", "--port", String(port), ...args],
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
  return base;
}

// ---------------------------------------------------------------------------------------------
// A circusd that goes away and comes back

describe("circushttpd on its own, without a users file", () => {
  test("the page says when circusd is down, and again when it is back", async (t) => {
    const dir = makeTempDir("circus-web-down-");
    const config = (d: string) => sleeperSection(d, "lonely", { numprocesses: 1 });
    let circusd = startCircusd(config, { dir });
    await connect(circusd);
    // No --users: an anonymous admin, allowed since it listens on a loopback address.
    const base = await startHttpd(["--endpoint", testEndpoints(dir).endpoint as string]);

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

// ---------------------------------------------------------------------------------------------
// Discovery

describe("circushttpd's Discover", () => {
  test("lists the daemons that answer on the group; one click adds one", async (t) => {
    // A group and port of this test's own: other daemons of the machine answer the default.
    const multicast = `udp://239.255.42.20:${await freePort()}`;
    const daemon = (name: string) => {
      const circusd = startCircusd(
        (d) => `[circus]\nmulticast_endpoint = ${multicast}\n\n${sleeperSection(d, name)}`,
      );
      return { circusd, endpoint: testEndpoints(circusd.dir).endpoint as string };
    };
    const [alpha, beta] = [daemon("alpha"), daemon("beta")];
    await Promise.all([connect(alpha.circusd), connect(beta.circusd)]);
    const base = await startHttpd(["--endpoint", alpha.endpoint, "--multicast", multicast]);

    const { page } = await newPage({ baseURL: base, name: t.name });
    await page.goto("/#/");
    await page.getByTestId("daemon-0").waitFor();
    const row = (endpoint: string) => page.locator(`[data-endpoint="${endpoint}"]`);
    // Asked again until both answered (a daemon just started may not have joined yet).
    await waitFor(
      async () => {
        await page.getByTestId("discover-button").click();
        // Disabled while the console asks (a second each time).
        await waitFor(() => page.getByTestId("discover-button").isEnabled());
        return (await row(alpha.endpoint).count()) + (await row(beta.endpoint).count()) === 2;
      },
      { timeout: 20_000, message: "both daemons in the discovered list" },
    );
    // The console's own daemon is known; the other one can be added.
    assert.equal((await row(alpha.endpoint).locator("a").innerText()).trim(), "daemon 0");
    await screenshot(page, "discover");
    await row(beta.endpoint).getByRole("button", { name: "Add" }).click();
    await page.getByTestId("daemon-1").waitFor();
    await waitFor(async () => (await row(beta.endpoint).locator("a").count()) === 1, {
      message: "the added daemon's link in the discovered list",
    });
    await row(beta.endpoint).locator("a").click();
    await page.getByTestId("watcher-beta").waitFor();
  });
});
