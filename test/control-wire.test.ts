/**
 * The control endpoint's wire: reply shapes, ids, casts, REQ clients, every bad input, a
 * hostile flood, and an independent Python client (Debian's python3-zmq).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, test } from "node:test";
import { Request } from "zeromq";
import { ROOT, startCircusd, testEndpoints, waitFor } from "./helpers/circusd.js";
import { connect, EventLog, RawClient, sleeperSection } from "./helpers/control.js";
import { freePort } from "./helpers/ctl.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

const ERROR_KEYS = ["errno", "id", "reason", "status", "tb", "time"];

/** Resolves once `count()` has not changed for 300 ms. */
async function settled(count: () => number): Promise<void> {
  let last = -1;
  await waitFor(
    () => {
      const now = count();
      const still = now === last;
      last = now;
      return still;
    },
    { interval: 300, timeout: 60_000, message: "the replies to stop coming" },
  );
}

function rssKb(pid: number): number {
  const text = spawnSync("cat", [`/proc/${pid}/status`], { encoding: "utf8" }).stdout;
  return Number(/^VmRSS:\s+(\d+)/m.exec(text)?.[1] ?? 0);
}

describe("control wire", () => {
  test("a reply carries the request's id, status ok, time and the command's fields", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "web"));
    const c = await connect(d);
    const reply = await c.request(
      { id: "abc", command: "status", properties: { name: "web" } },
      "abc",
    );
    assert.deepEqual(Object.keys(reply).sort(), ["id", "status", "time"]);
    assert.equal(reply.id, "abc");
    assert.equal(typeof reply.time, "number");
    // As Circus: status of one watcher replaces "ok" with the watcher's state.
    await waitFor(async () => (await c.call("status", { name: "web" })).status === "active");
    const all = await c.call("status");
    assert.equal(all.status, "ok");
    assert.deepEqual(all.statuses, { web: "active" });
  });

  test("every bad request gets an error reply of Circus's shape, and the daemon goes on", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "web"));
    const c = await connect(d);
    const cases: [unknown, number, RegExp][] = [
      [{ id: "u1", command: "nope" }, 2, /unknown command: 'nope'/],
      // circusctl's own (it asks the multicast group): circusd knows it no more than Circus does.
      [{ id: "u1b", command: "discover" }, 2, /unknown command: 'discover'/],
      [{ id: "u2", properties: {} }, 2, /unknown command: None/],
      [{ id: "u3", command: "status", properties: [] }, 3, /'properties' should be an object/],
      [{ id: "u4", command: "get", properties: { name: "web" } }, 3, /'keys' is missing/],
      [{ id: "u5", command: "list", properties: { name: 42 } }, 3, /'name' should be/],
      [{ id: "u6", command: "list", properties: { name: "ghost" } }, 3, /program ghost not found/],
      [{ id: "u7", command: "incr", properties: { name: "web", nb: "two" } }, 3, /'nb'/],
      [
        { id: "u8", command: "signal", properties: { name: "web", signum: "NOPE" } },
        3,
        /signal invalid/,
      ],
      [
        { id: "u9", command: "stop", properties: { name: "web", match: "fuzzy" } },
        3,
        /unknown match method/,
      ],
      [
        { id: "u10", command: "set", properties: { name: "web", options: { bogus: 1 } } },
        3,
        /unknown key 'bogus'/,
      ],
      [
        { id: "u11", command: "set", properties: { name: "web", options: { numprocesses: "3" } } },
        3,
        /'numprocesses' isn't an integer/,
      ],
      [{ id: "u12", command: "listen" }, 3, /use a pub\/sub socket/],
      [
        { id: "u13", command: "get", properties: { name: "web", keys: ["nokey"] } },
        3,
        /'nokey' option not found/,
      ],
    ];
    for (const [body, errno, reason] of cases) {
      const id = (body as { id: string }).id;
      const reply = await c.request(body, id);
      assert.deepEqual(Object.keys(reply).sort(), ERROR_KEYS, JSON.stringify(reply));
      assert.equal(reply.status, "error");
      assert.equal(reply.tb, null);
      assert.equal(reply.errno, errno, `${JSON.stringify(body)} -> ${JSON.stringify(reply)}`);
      assert.match(String(reply.reason), reason);
    }
    // Frames that are no request at all: answered with a null id.
    for (const [raw, reason] of [
      ["{not json", /json invalid/],
      ["[1, 2]", /json invalid/],
      ["", /empty command/],
      ["\u00ff\u00fe", /json invalid/],
    ] as const) {
      await c.send(raw);
      const reply = await c.nextUnmatched();
      assert.equal(reply.status, "error");
      assert.equal(reply.id, null);
      assert.match(String(reply.reason), reason);
    }
    assert.equal((await c.call("numwatchers")).numwatchers, 1, "still serving");
  });

  test("a message over 1 MB is refused unparsed, with its id", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "web"));
    const c = await connect(d);
    const big = JSON.stringify({
      id: "big-1",
      command: "status",
      properties: { pad: "x".repeat(1024 * 1024 + 10) },
    });
    const reply = await c.request(big, "big-1");
    assert.equal(reply.status, "error");
    assert.equal(reply.errno, 3);
    assert.match(String(reply.reason), /too big/);
    assert.equal((await c.call("numwatchers")).status, "ok");
  });

  test("a cast runs without a reply", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "web"));
    const c = await connect(d);
    await c.send(
      JSON.stringify({
        id: "cast-1",
        command: "incr",
        properties: { name: "web" },
        msg_type: "cast",
      }),
    );
    await waitFor(async () => (await c.call("numprocesses", { name: "web" })).numprocesses === 2);
    await c.send(JSON.stringify({ id: "cast-2", command: "nope", msg_type: "cast" }));
    assert.equal((await c.call("numwatchers")).numwatchers, 1);
    assert.deepEqual(c.unmatched, [], "no reply to either cast");
  });

  test("a REQ client ([identity, '', payload]) is answered in kind", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "web"));
    await connect(d);
    const req = new Request({ linger: 0, receiveTimeout: 5000 });
    req.connect(testEndpoints(d.dir).endpoint as string);
    try {
      await req.send(JSON.stringify({ id: "r1", command: "list", properties: {} }));
      const [frame] = await req.receive();
      const reply = JSON.parse(String(frame)) as Record<string, unknown>;
      assert.equal(reply.id, "r1");
      assert.deepEqual(reply.watchers, ["web"]);
    } finally {
      req.close();
    }
  });

  test("ten thousand garbage frames neither crash circusd nor grow it", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "web"));
    const c = await connect(d);
    const flood = async () => {
      for (let i = 0; i < 10_000; i++) {
        const kind = i % 4;
        if (kind === 0) await c.send(Buffer.from([i & 0xff, 0xff, 0x00, 0x7b]));
        else if (kind === 1) await c.send('{"id": ' + "[".repeat(50));
        else if (kind === 2) await c.send("a", "b", "c");
        else await c.send(JSON.stringify({ id: `g${i}`, command: "x".repeat(100) }));
      }
    };
    // ZeroMQ drops what a ROUTER sends to a peer whose pipe is full (a flood's replies the
    // client has not read yet): the next request is sent once the client has read them all.
    const drained = () => settled(() => c.unmatched.length);
    await flood();
    await drained();
    await c.call("numwatchers", {}, { timeout: 30_000 });
    const before = rssKb(d.pid);
    await flood();
    await drained();
    await c.call("numwatchers", {}, { timeout: 30_000 });
    await flood();
    await drained();
    const last = await c.call("status", {}, { timeout: 30_000 });
    assert.equal(last.status, "ok");
    const grown = rssKb(d.pid) - before;
    assert.ok(grown < 30_000, `RSS grew by ${grown} kB over two more floods`);
    assert.equal(d.exitStatus, null, "circusd is alive");
  });

  test("tcp:// endpoints work as ipc:// ones do", async () => {
    const [ctl, pub] = [await freePort(), await freePort()];
    const d = startCircusd(
      (dir) =>
        `[circus]\nendpoint = tcp://127.0.0.1:${ctl}\npubsub_endpoint = tcp://127.0.0.1:${pub}\n\n` +
        sleeperSection(dir, "web"),
    );
    const c = new RawClient(`tcp://127.0.0.1:${ctl}`);
    try {
      await waitFor(() => c.call("numwatchers", {}, { timeout: 500 }).then(() => true), {
        message: () => d.log + d.stderr,
      });
      const events = new EventLog(`tcp://127.0.0.1:${pub}`);
      try {
        await waitFor(async () => {
          await c.call("incr", { name: "web", waiting: true });
          return events.events.some((e) => e.topic === "watcher.web.spawn");
        });
      } finally {
        events.close();
      }
    } finally {
      c.close();
    }
  });

  test("an independent Python client (python3-zmq) sees the same wire", async () => {
    const d = startCircusd((dir) => sleeperSection(dir, "web", { numprocesses: 2 }));
    const c = await connect(d);
    await waitFor(async () => (await c.call("numprocesses")).numprocesses === 2);
    const script = path.join(ROOT, "test/fixtures/raw_client.py");
    const result = spawnSync(
      "/usr/bin/python3",
      [script, testEndpoints(d.dir).endpoint as string],
      {
        encoding: "utf8",
        timeout: 30_000,
      },
    );
    assert.equal(result.status, 0, result.stderr);
    const replies = JSON.parse(result.stdout) as Record<string, Record<string, unknown>>;
    assert.equal(replies.status?.id, "py-status");
    assert.deepEqual(replies.status?.statuses, { web: "active" });
    assert.equal((replies.list?.pids as number[]).length, 2);
    assert.equal(replies.numprocesses?.numprocesses, 2);
    assert.equal(replies.bad?.status, "error");
    assert.equal(replies.bad?.errno, 2);
    assert.equal(replies.bad?.id, "py-bad");
    assert.equal(replies.garbage?.errno, 1);
    assert.equal(replies.garbage?.id, null);
    assert.equal(replies.event?.topic, "watcher.web.kill");
    assert.equal(typeof (replies.event?.body as Record<string, unknown>).process_pid, "number");
  });
});
