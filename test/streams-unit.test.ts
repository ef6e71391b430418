/** The pieces of the output layer on their own: the ring, line prefixes, rules, the queue. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { LinePrefixer } from "../src/streams/line-prefix.js";
import { OutputRing } from "../src/streams/output-ring.js";
import { QueueStream } from "../src/streams/queue-stream.js";
import { rotationRule } from "../src/streams/timed-rotating.js";
import type { StreamData } from "../src/streams/types.js";

function piece(pid: number, text: string, name: "stdout" | "stderr" = "stdout"): StreamData {
  return { pid, name, data: Buffer.from(text), watcher: "w" };
}

test("the ring keeps the last lines of each process and pipe, oldest first", () => {
  const ring = new OutputRing("w", 1024);
  ring.push(piece(1, "a1\na2\n"));
  ring.push(piece(2, "b1\n", "stderr"));
  ring.push(piece(1, "a3\npart"));
  ring.push(piece(1, "ial\n"));
  assert.deepEqual(
    ring.lines(2).map((l) => `${l.pid} ${l.stream} ${l.line}`),
    ["2 stderr b1", "1 stdout a3", "1 stdout partial"],
  );
  assert.deepEqual(
    ring.lines(10).map((l) => l.line),
    ["a1", "a2", "b1", "a3", "partial"],
  );
});

test("the ring stays within its budget and never shows a line cut by its start", () => {
  const ring = new OutputRing("w", 64);
  for (let i = 0; i < 100; i++) ring.push(piece(7, `line ${String(i).padStart(3, "0")}\n`));
  const lines = ring.lines(1000).map((l) => l.line);
  assert.ok(lines.length >= 6 && lines.length <= 8, `${lines.length} lines`);
  assert.equal(lines.at(-1), "line 099");
  // A long line straddling pieces whose start fell out: left out rather than shown cut.
  const cut = new OutputRing("w", 16);
  cut.push(piece(1, "x".repeat(40)));
  cut.push(piece(1, "yyy\nnext\n"));
  assert.deepEqual(
    cut.lines(5).map((l) => l.line),
    ["next"],
  );
});

test("prefixes go at line starts only, across pieces of one pipe", () => {
  const prefixer = new LinePrefixer((d) => `[${d.pid}] `);
  const out = [
    prefixer.apply(piece(1, "one\ntw")),
    prefixer.apply(piece(2, "other\n")),
    prefixer.apply(piece(1, "o\nthree\n")),
  ].map(String);
  assert.deepEqual(out, ["[1] one\n[1] tw", "[2] other\n", "o\n[1] three\n"]);
});

test("rotate_when takes Circus's values in any case and refuses others", () => {
  assert.equal(rotationRule("s").unit, 1);
  assert.equal(rotationRule("MIDNIGHT").midnight, true);
  assert.equal(rotationRule("w6").weekday, 6);
  assert.throws(() => rotationRule("W7"), /rotate_when|W0-W6/);
  assert.throws(() => rotationRule("weekly"), /expected S, M, H, D, W0-W6 or midnight/);
});

test("a full QueueStream makes the writer wait until a piece is read", async () => {
  const queue = new QueueStream({ maxsize: "2" });
  assert.equal(queue.write(piece(1, "a")), undefined);
  const wait = queue.write(piece(1, "b"));
  assert.ok(wait instanceof Promise, "full: the writer must wait");
  let released = false;
  void wait.then(() => (released = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(released, false);
  assert.equal(String((await queue.get()).data), "a");
  await wait;
  assert.equal(released, true);
  assert.equal(queue.size, 1);
  const next = queue.get();
  assert.equal(String((await next).data), "b");
  const later = queue.get();
  queue.write(piece(1, "c"));
  assert.equal(String((await later).data), "c", "a waiting get() receives the next piece");
});
