/**
 * on_demand: no process runs until a real client connects; circusd leaves that connection
 * in the backlog and the worker started for it answers it; after a stop, the next
 * connection starts the watcher again.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startCircusd, waitFor } from "./helpers/circusd.js";
import { connect, type RawClient } from "./helpers/control.js";
import { get, httpWatcher, listSockets, tcpSocket } from "./helpers/sockets.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

async function pids(client: RawClient): Promise<number[]> {
  return (await client.call("list", { name: "web" })).pids as number[];
}

describe("on_demand", () => {
  test("starts at the first connection, answers it, and starts again after a stop", async () => {
    const d = startCircusd(
      (dir) =>
        tcpSocket("web") +
        httpWatcher(dir, "web", "web", { on_demand: true, numprocesses: 2, graceful_timeout: 2 }),
    );
    const client = await connect(d);
    const port = (await listSockets(client)).get("web")?.port as number;
    await sleep(300);
    assert.deepEqual(await pids(client), [], "no process before a connection");
    assert.equal((await client.call("status", { name: "web" })).status, "stopped");

    // The first connection is answered by a worker: circusd never accepted it.
    const first = await get({ host: "127.0.0.1", port });
    const running = await pids(client);
    assert.ok(running.map(String).includes(first), `${first} is one of ${running}`);

    assert.equal((await client.call("stop", { name: "web", waiting: true })).status, "ok");
    await waitFor(async () => ((await pids(client)).length === 0 ? true : null));
    await sleep(300);
    assert.deepEqual(await pids(client), [], "stays stopped until the next connection");

    const second = await get({ host: "127.0.0.1", port });
    assert.match(second, /^\d+$/);
    assert.ok(!running.map(String).includes(second), "a new process answered");
    await waitFor(async () => ((await pids(client)).length === 2 ? true : null));
    assert.equal((await d.stop()).code, 0);
  });

  test("circusd quits at once while a watcher waits for its first connection", async () => {
    const d = startCircusd(
      (dir) =>
        `[socket:web]\npath = ${dir}/web.sock\n\n${httpWatcher(dir, "web", "web", { on_demand: true })}`,
    );
    const client = await connect(d);
    assert.deepEqual(await pids(client), []);
    const started = performance.now();
    assert.equal((await d.stop()).code, 0);
    assert.ok(performance.now() - started < 5000, "the poll thread does not hold circusd");
  });
});
