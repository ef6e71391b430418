/**
 * The Client and the Subscriber against a real circusd: calls, casts, concurrent calls over
 * one socket, error replies, and real events on the pub/sub endpoint.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Client, CommandError, Subscriber, TimeoutError, type CircusEvent } from "../src/index.js";
import { isAlive, waitFor, workerSection } from "./helpers/circusd.js";
import { clientOf, freePort, startDaemon } from "./helpers/ctl.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";

cleanupEachTest();

const client = (endpoint: string, timeout = 10): Client => clientOf(endpoint, timeout);

describe("Client against circusd", () => {
  test("call: list, status and a watcher's pids, with the request's id in the reply", async () => {
    const d = await startDaemon((dir) => workerSection(dir, "web", { numprocesses: 2 }));
    const c = client(d.endpoint);
    const list = await c.call("list");
    assert.equal(list.status, "ok");
    assert.deepEqual(list.watchers, ["web"]);
    assert.match(String(list.id), /^[0-9a-f]{32}$/);
    assert.equal(typeof list.time, "number");
    const pids = await waitFor(async () => {
      const reply = await c.call("list", { name: "web" });
      return (reply.pids as number[]).length === 2 ? (reply.pids as number[]) : null;
    });
    for (const pid of pids) assert.ok(isAlive(pid), `pid ${pid} is a live process`);
    assert.deepEqual((await c.callOk("status")).statuses, { web: "active" });
  });

  test("an error reply: call resolves it, callOk throws CommandError with the reason", async () => {
    const d = await startDaemon((dir) => workerSection(dir, "web"));
    const c = client(d.endpoint);
    const reply = await c.call("status", { name: "nope" });
    assert.equal(reply.status, "error");
    assert.equal(reply.reason, "program nope not found");
    await assert.rejects(c.callOk("status", { name: "nope" }), (error: unknown) => {
      assert.ok(error instanceof CommandError);
      assert.equal(error.reason, "program nope not found");
      return true;
    });
    const unknown = await c.call("frobnicate");
    assert.equal(unknown.status, "error");
  });

  test("cast runs the command without a reply (incr seen by a later call)", async () => {
    const d = await startDaemon((dir) => workerSection(dir, "web", { numprocesses: 1 }));
    const c = client(d.endpoint);
    await c.cast("incr", { name: "web", nb: 2 });
    // One DEALER pipe keeps order: the cast reached circusd before this call.
    await waitFor(async () => (await c.call("numprocesses", { name: "web" })).numprocesses === 3);
  });

  test("100 concurrent calls over one socket each get their own reply", async () => {
    const d = await startDaemon(
      (dir) =>
        workerSection(dir, "a", { numprocesses: 1 }) + workerSection(dir, "b", { numprocesses: 2 }),
    );
    const c = client(d.endpoint);
    const names = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? "a" : "b"));
    const replies = await Promise.all(names.map((name) => c.call("numprocesses", { name })));
    assert.deepEqual(
      replies.map((r) => r.numprocesses),
      names.map((n) => (n === "a" ? 1 : 2)),
    );
    assert.equal(new Set(replies.map((r) => r.id)).size, 100);
  });

  test("an endpoint nobody listens on: TimeoutError after the timeout", async () => {
    const c = client(`tcp://127.0.0.1:${await freePort()}`, 0.5);
    const started = Date.now();
    await assert.rejects(c.call("status"), TimeoutError);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 450 && elapsed < 3000, `${elapsed} ms`);
  });
});

describe("Subscriber against circusd", () => {
  test("receives the spawn events of an incr, and the stop of a stop, with their bodies", async () => {
    const d = await startDaemon((dir) => workerSection(dir, "web", { numprocesses: 1 }));
    const events = new Subscriber({ endpoint: d.pubsub, topics: ["watcher.web."] });
    defer(() => events.close());
    const seen: CircusEvent[] = [];
    const reading = (async () => {
      for await (const event of events) seen.push(event);
    })();
    await sleep(300); // let the subscription reach the publisher (slow joiner)
    const c = client(d.endpoint);
    await c.callOk("incr", { name: "web", nb: 1, waiting: true });
    const spawn = await waitFor(() => seen.find((e) => e.topic === "watcher.web.spawn"), {
      message: () => `a spawn event; got ${JSON.stringify(seen)}`,
    });
    const data = spawn.data as Record<string, unknown>;
    assert.equal(typeof data.process_pid, "number");
    assert.equal(typeof data.time, "number");
    assert.equal(JSON.parse(spawn.raw).process_pid, data.process_pid);
    await c.callOk("stop", { name: "web", waiting: true });
    await waitFor(() => seen.find((e) => e.topic === "watcher.web.stop"), {
      message: () => `a stop event; got ${seen.map((e) => e.topic).join(", ")}`,
    });
    assert.ok(seen.every((e) => e.topic.startsWith("watcher.web.")));
    events.close();
    await reading;
  });
});
