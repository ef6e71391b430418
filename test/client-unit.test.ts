/**
 * The Client and Subscriber against a bare ZeroMQ ROUTER / PUB written in the test itself,
 * so that what the client puts on the wire, and how it matches replies that arrive out of
 * order, late or never, is checked without circusd.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Publisher, Router } from "zeromq";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CallError, Client, CommandError, Subscriber, TimeoutError } from "../src/index.js";
import { makeTempDir } from "./helpers/circusd.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { freePort } from "./helpers/ctl.js";

cleanupEachTest();

interface Received {
  identity: Buffer;
  request: { id: string; command: string; properties: Record<string, unknown>; msg_type?: string };
}

/** A ROUTER on a fresh port that hands every request to the test. */
async function fakeDaemon(): Promise<{
  router: Router;
  endpoint: string;
  next(): Promise<Received>;
}> {
  const router = new Router({ linger: 0 });
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  await router.bind(endpoint);
  return {
    router,
    endpoint,
    async next() {
      const [identity, body] = (await router.receive()) as [Buffer, Buffer];
      return { identity, request: JSON.parse(body.toString()) as Received["request"] };
    },
  };
}

/** Closes the test's sockets and clients at cleanup. */
const closeAtCleanup = (...sockets: { close(): void }[]) =>
  sockets.forEach((socket) => defer(() => socket.close()));

describe("Client on the wire", () => {
  test("a call sends {id, command, properties} with a 32-hex id and resolves the reply", async () => {
    const daemon = await fakeDaemon();
    const client = new Client({ endpoint: daemon.endpoint, timeout: 5 });
    closeAtCleanup(daemon.router, client);
    const reply = client.call("status", { name: "web" });
    const { identity, request } = await daemon.next();
    assert.match(request.id, /^[0-9a-f]{32}$/);
    assert.equal(request.command, "status");
    assert.deepEqual(request.properties, { name: "web" });
    assert.equal(request.msg_type, undefined);
    await daemon.router.send([
      identity,
      JSON.stringify({ id: request.id, status: "ok", time: 1, x: 2 }),
    ]);
    assert.deepEqual(await reply, { id: request.id, status: "ok", time: 1, x: 2 });
  });

  test("concurrent calls on one socket get their own replies, answered in reverse order", async () => {
    const daemon = await fakeDaemon();
    const client = new Client({ endpoint: daemon.endpoint, timeout: 5 });
    closeAtCleanup(daemon.router, client);
    const calls = Array.from({ length: 50 }, (_, i) => client.call("echo", { i }));
    const received: Received[] = [];
    for (let i = 0; i < 50; i++) received.push(await daemon.next());
    assert.equal(new Set(received.map((r) => r.request.id)).size, 50, "ids are unique");
    for (const { identity, request } of received.reverse()) {
      const reply = { id: request.id, status: "ok", time: 0, i: request.properties.i };
      await daemon.router.send([identity, JSON.stringify(reply)]);
    }
    const replies = await Promise.all(calls);
    assert.deepEqual(
      replies.map((r) => r.i),
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  test("no reply: TimeoutError (a CallError) after the timeout; a late reply is dropped", async () => {
    const daemon = await fakeDaemon();
    const client = new Client({ endpoint: daemon.endpoint, timeout: 0.3 });
    closeAtCleanup(daemon.router, client);
    const started = Date.now();
    const late = client.call("status");
    const { identity, request } = await daemon.next();
    await assert.rejects(late, (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.ok(error instanceof CallError);
      assert.match(error.message, /timed out after 0.3 s .*"status".*127\.0\.0\.1/);
      return true;
    });
    assert.ok(Date.now() - started >= 280, "not before the timeout");
    // The late reply reaches nobody; the next call still gets its own.
    await daemon.router.send([identity, JSON.stringify({ id: request.id, status: "ok", time: 0 })]);
    const next = client.call("list", {}, { timeout: 5 });
    const second = await daemon.next();
    await daemon.router.send([
      second.identity,
      JSON.stringify({ id: second.request.id, status: "ok", time: 0, watchers: [] }),
    ]);
    assert.deepEqual((await next).watchers, []);
  });

  test("an error reply resolves call() and rejects callOk() with CommandError(reason, errno)", async () => {
    const daemon = await fakeDaemon();
    const client = new Client({ endpoint: daemon.endpoint });
    closeAtCleanup(daemon.router, client);
    const answer = async (): Promise<void> => {
      const { identity, request } = await daemon.next();
      const reply = {
        id: request.id,
        status: "error",
        reason: "program x not found",
        errno: 3,
        tb: null,
        time: 0,
      };
      await daemon.router.send([identity, JSON.stringify(reply)]);
    };
    const [plain] = await Promise.all([client.call("status", { name: "x" }), answer()]);
    assert.equal(plain.status, "error");
    const [failure] = await Promise.all([
      client.callOk("status", { name: "x" }).catch((e: unknown) => e),
      answer(),
    ]);
    assert.ok(failure instanceof CommandError);
    assert.equal(failure.reason, "program x not found");
    assert.equal(failure.errno, 3);
    assert.equal(failure.reply.status, "error");
  });

  test('cast sends msg_type "cast" and waits for no reply', async () => {
    const daemon = await fakeDaemon();
    const client = new Client({ endpoint: daemon.endpoint, timeout: 0.2 });
    closeAtCleanup(daemon.router, client);
    await client.cast("incr", { name: "web", nb: 2 });
    const { request } = await daemon.next();
    assert.equal(request.msg_type, "cast");
    assert.equal(request.command, "incr");
    assert.deepEqual(request.properties, { name: "web", nb: 2 });
  });

  test("a cast just before close() is still delivered (close lingers for casts)", async () => {
    const daemon = await fakeDaemon();
    closeAtCleanup(daemon.router);
    for (let i = 0; i < 5; i++) {
      const client = new Client({ endpoint: daemon.endpoint });
      await client.cast("incr", { i });
      client.close();
    }
    const seen: unknown[] = [];
    for (let i = 0; i < 5; i++) seen.push((await daemon.next()).request.properties.i);
    assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4]);
  });

  test("close() rejects the calls in flight; calls after close reject at once", async () => {
    const daemon = await fakeDaemon();
    const client = new Client({ endpoint: daemon.endpoint, timeout: 5 });
    closeAtCleanup(daemon.router);
    const pending = client.call("status");
    await daemon.next();
    client.close();
    await assert.rejects(pending, /closed/);
    await assert.rejects(client.call("status"), CallError);
    await assert.rejects(client.cast("status"), CallError);
    client.close();
  });

  test("an endpoint nobody listens on times out (it is not an immediate error)", async () => {
    const client = new Client({ endpoint: `tcp://127.0.0.1:${await freePort()}`, timeout: 0.2 });
    closeAtCleanup(client);
    await assert.rejects(client.call("list"), TimeoutError);
  });

  test("ipc:// endpoints work as tcp:// ones", async () => {
    const router = new Router({ linger: 0 });
    const endpoint = `ipc://${path.join(makeTempDir("circus-ipc-"), "ctl.sock")}`;
    await router.bind(endpoint);
    const client = new Client({ endpoint });
    closeAtCleanup(router, client);
    const reply = client.call("numwatchers");
    const [identity, body] = (await router.receive()) as [Buffer, Buffer];
    const { id } = JSON.parse(body.toString()) as { id: string };
    await router.send([identity, JSON.stringify({ id, status: "ok", time: 0, numwatchers: 0 })]);
    assert.equal((await reply).numwatchers, 0);
  });

  test("a malformed endpoint is a CallError at construction", () => {
    assert.throws(() => new Client({ endpoint: "nonsense" }), CallError);
  });
});

describe("Subscriber on the wire", () => {
  test("receives two-frame events of its topic prefixes only, with parsed and raw bodies", async () => {
    const pub = new Publisher({ linger: 0 });
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    await pub.bind(endpoint);
    const events = new Subscriber({ endpoint, topics: ["watcher.web."] });
    closeAtCleanup(pub, events);
    const iterator = events[Symbol.asyncIterator]();
    const first = iterator.next();
    // Subscriptions travel asynchronously (slow joiner): publish until one gets through.
    let got = false;
    void first.then(() => (got = true));
    while (!got) {
      await pub.send(["watcher.db.spawn", JSON.stringify({ pid: 1 })]);
      await pub.send(["watcher.web.spawn", JSON.stringify({ pid: 2, time: 1.5 })]);
      await sleep(20);
    }
    const { value } = await first;
    assert.deepEqual(value, {
      topic: "watcher.web.spawn",
      data: { pid: 2, time: 1.5 },
      raw: '{"pid":2,"time":1.5}',
    });
    events.close();
    // Closing ends the iteration instead of throwing.
    assert.equal((await iterator.next()).done, true);
  });
});
