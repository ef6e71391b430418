/**
 * Zero-downtime changes of a socket watcher: 4 graceful HTTP workers on one socket bound by
 * circusd, under steady load (autocannon, ~4 s), while reload, restart, incr or decr runs.
 * No request may fail: the socket stays bound in circusd, so connections wait in its backlog
 * while no worker accepts, and every worker answers what it accepted before exiting.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ROOT, startCircusd } from "./helpers/circusd.js";
import { connect, type RawClient } from "./helpers/control.js";
import { httpWatcher, listSockets, load as fetchPids, tcpSocket } from "./helpers/sockets.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

const WORKER = path.join(ROOT, "test/fixtures/graceful-http-worker.mjs");

/** The part of autocannon's result these tests read (the package ships no types). */
interface LoadResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  requests: { total: number };
}
type Autocannon = (options: Record<string, unknown>) => Promise<LoadResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

function config(dir: string): string {
  return (
    tcpSocket("web") +
    httpWatcher(dir, "web", "web", { numprocesses: 4, graceful_timeout: 5 }, WORKER)
  );
}

/** The pids of the watcher's processes. */
async function pids(client: RawClient): Promise<string[]> {
  const reply = await client.call("list", { name: "web" });
  return (reply.pids as number[]).map(String).sort();
}

/**
 * Runs `change` 1 s into a 4 s load on the watcher's socket and returns the load's result
 * and the pids before and after.
 */
async function underLoad(change: (client: RawClient) => Promise<unknown>) {
  const d = startCircusd(config);
  const client = await connect(d);
  await d.waitForChildren(4);
  const port = (await listSockets(client)).get("web")?.port;
  assert.ok(port);
  const before = await pids(client);
  const load = autocannon({ url: `http://127.0.0.1:${port}/`, connections: 16, duration: 4 });
  await sleep(1000);
  const reply = (await change(client)) as { status: string };
  assert.equal(reply.status, "ok", JSON.stringify(reply));
  const result = await load;
  // Who answers once the change is done: the pid each reply carries.
  const served = new Set(await fetchPids({ host: "127.0.0.1", port }, 40));
  return { result, before, after: await pids(client), served: [...served] };
}

/** Zero failed requests, and enough served to mean something. */
function assertNoFailure(result: LoadResult): void {
  const { errors, timeouts, non2xx } = result;
  assert.deepEqual({ errors, timeouts, non2xx }, { errors: 0, timeouts: 0, non2xx: 0 });
  assert.ok(result["2xx"] > 300, `only ${result["2xx"]} requests served`);
}

describe("socket watcher changed under load: no failed request", () => {
  test("reload (graceful): new workers serve", async () => {
    const { result, before, after, served } = await underLoad((c) =>
      c.call("reload", { name: "web" }),
    );
    assertNoFailure(result);
    assert.equal(after.length, 4);
    assert.ok(!after.some((pid) => before.includes(pid)), `${before} -> ${after}`);
    assert.ok(
      served.every((pid) => after.includes(pid)),
      `served by ${served}, now ${after}`,
    );
  });

  test("restart", async () => {
    const { result, before, after } = await underLoad((c) => c.call("restart", { name: "web" }));
    assertNoFailure(result);
    assert.ok(!after.some((pid) => before.includes(pid)), `${before} -> ${after}`);
  });

  test("incr", async () => {
    const { result, after } = await underLoad((c) => c.call("incr", { name: "web", nb: 2 }));
    assertNoFailure(result);
    assert.equal(after.length, 6);
  });

  test("decr", async () => {
    const { result, after } = await underLoad((c) => c.call("decr", { name: "web", nb: 2 }));
    assertNoFailure(result);
    assert.equal(after.length, 2);
  });
});
