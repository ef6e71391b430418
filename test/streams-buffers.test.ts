/**
 * The read buffers of many pipes at once: quiet pipes share one buffer, a busy pipe reads into
 * one of its own (and hands big reads on without a copy), a pipe idle for a second goes back
 * to the shared one. Whatever buffer a read went into, every process's lines arrive whole and
 * in order, in its FileStream and in the ring that `circusctl logs` reads. And bytes lent to a
 * file that must wait (a slow one) are copied before the buffer they were lent in serves again.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { constants, openSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { test } from "node:test";
import { FileAppender } from "../src/streams/file-appender.js";
import { makeTempDir, waitFor } from "./helpers/circusd.js";
import { clientOf, startDaemon } from "./helpers/ctl.js";
import { STREAM_FIXTURES, pidsOf, readText, sizeOf, writerSection } from "./helpers/streams.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

const WIDTH = 100;
const SHAPE = /^(\w+):(\d{10}) x+$/;

/** A watcher of writer.mjs in lines mode, tagged `<prefix><wid>`, into its own FileStream. */
interface Group {
  name: string;
  processes: number;
  lines: number;
  /** Bytes per write, and ms between writes. */
  chunk: number;
  pause: number;
  /** A stream class other than FileStream. */
  streamClass?: string;
}

const GROUPS: Group[] = [
  // Bursts that fill the pipe (own buffer, big reads handed on), a second and more apart
  // (back to the shared buffer in between); alone on its stream: reads go on uncut.
  { name: "alone", processes: 1, lines: 30_000, chunk: 700_000, pause: 1200 },
  // The same, four processes on one stream: reads cut at line ends.
  { name: "busy", processes: 4, lines: 20_000, chunk: 500_000, pause: 1200 },
  // Big reads kept by a stream of the user's (written later): the pipe reads into new buffers.
  {
    name: "kept",
    processes: 2,
    lines: 20_000,
    chunk: 500_000,
    pause: 300,
    streamClass: `${path.join(STREAM_FIXTURES, "my-stream.mjs")}:LaterStream`,
  },
  // Many small writes, nearly every one ending mid-line: the shared buffer.
  { name: "quiet", processes: 24, lines: 400, chunk: 333, pause: 3 },
];

/** Checks that `text` holds each tag's lines 0..count-1 whole and in order; returns the tags. */
function checkLines(text: string, what: string): Map<string, number> {
  const lines = text.split("\n");
  assert.equal(lines.pop(), "", `${what} ends with a line end`);
  const next = new Map<string, number>();
  for (const [i, line] of lines.entries()) {
    const m = SHAPE.exec(line);
    if (!m || line.length !== WIDTH - 1)
      assert.fail(`${what}: line ${i} is not a whole line: ${JSON.stringify(line.slice(0, 200))}`);
    const [, tag = "", n] = m;
    const expected = next.get(tag) ?? 0;
    if (Number(n) !== expected)
      assert.fail(`${what}: line ${i}: ${tag} line ${Number(n)}, expected ${expected}`);
    next.set(tag, expected + 1);
  }
  return next;
}

test("many pipes through shared and own read buffers: every line whole and in order, in the file and in the ring", async () => {
  let folder = "";
  const daemon = await startDaemon((dir) => {
    folder = dir;
    return GROUPS.map((g) =>
      writerSection(
        dir,
        g.name,
        `--mode lines --tag ${g.name}$(circus.wid) --lines ${g.lines} --width ${WIDTH} ` +
          `--chunk ${g.chunk} --pause ${g.pause} --wait-file ${path.join(dir, "go")}`,
        {
          numprocesses: g.processes,
          "stdout_stream.class": g.streamClass ?? "FileStream",
          "stdout_stream.filename": path.join(dir, `${g.name}.log`),
        },
      ),
    ).join("");
  });
  const d = daemon.circusd;
  for (const g of GROUPS)
    await waitFor(() => pidsOf(d, g.name).length === g.processes, {
      message: () => `${g.processes} ${g.name} processes; log:\n${d.log}\n${d.stderr}`,
    });
  writeFileSync(path.join(folder, "go"), "");
  for (const g of GROUPS) {
    const file = path.join(folder, `${g.name}.log`);
    const bytes = g.processes * g.lines * WIDTH;
    await waitFor(() => sizeOf(file) === bytes, {
      timeout: 60_000,
      message: () => `${bytes} bytes in ${g.name}.log; it has ${sizeOf(file)}`,
    });
  }
  const client = clientOf(daemon.endpoint);
  for (const g of GROUPS) {
    const counts = checkLines(readText(path.join(folder, `${g.name}.log`)), `${g.name}.log`);
    assert.deepEqual(
      [...counts.entries()].sort(),
      Array.from({ length: g.processes }, (_, i) => [`${g.name}${i + 1}`, g.lines]).sort(),
    );
    // The ring: for each process, its last lines, whole, consecutive, ending with the last.
    const reply = await client.call("logs", { name: g.name, lines: 50 });
    assert.equal(reply.status, "ok");
    const logs = reply.logs as { pid: number; stream: string; line: string }[];
    const pids = new Set(logs.map((l) => l.pid));
    // The ring keeps 64 KiB of the watcher's newest output: a big last read may be all of it.
    assert.ok(pids.size >= 1 && pids.size <= g.processes, `${g.name}: ${pids.size} pids`);
    for (const pid of pids) {
      const mine = logs.filter((l) => l.pid === pid);
      assert.ok(mine.length > 0 && mine.length <= 50);
      const text = mine.map((l) => `${l.line}\n`).join("");
      const numbers = mine.map((l) => {
        const m = SHAPE.exec(l.line);
        if (!m || l.line.length !== WIDTH - 1)
          assert.fail(`${g.name} ring: not a whole line: ${JSON.stringify(l.line.slice(0, 200))}`);
        return Number(m[2]);
      });
      assert.equal(new Set(mine.map((l) => SHAPE.exec(l.line)?.[1])).size, 1, text.slice(0, 500));
      assert.equal(numbers.at(-1), g.lines - 1, `${g.name} ring ends with the last line`);
      assert.ok(
        numbers.every((n, i) => i === 0 || n === (numbers[i - 1] as number) + 1),
        `${g.name} ring: consecutive lines: ${numbers.join(" ")}`,
      );
    }
  }
});

test("lent bytes that must wait are copied into slabs that serve again only once written", async () => {
  const dir = makeTempDir();
  const fifo = path.join(dir, "out.fifo");
  execFileSync("mkfifo", [fifo]);
  // A FIFO is never written in place: everything lent to it waits in the queue.
  // Opened read-write, so that neither end's open waits for the other.
  const reader = new net.Socket({
    fd: openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK),
    readable: true,
    writable: false,
  });
  const got: Buffer[] = [];
  let gotBytes = 0;
  reader.on("data", (chunk) => {
    got.push(chunk as Buffer);
    gotBytes += chunk.length;
    // A reader that stalls now and then: the FIFO fills, writes answer EAGAIN and are retried.
    if (got.length % 50 === 0) {
      reader.pause();
      setTimeout(() => reader.resume(), 30);
    }
  });
  const appender = new FileAppender(fifo, {});
  appender.openSync();
  // One buffer lent over and over, each time with other bytes: pieces of many sizes, some
  // bigger than a slab.
  const lent = Buffer.alloc(1_500_000);
  const expected: Buffer[] = [];
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 300; i++) {
    const size =
      i % 37 === 0
        ? 1_100_000 + Math.floor(random() * 300_000)
        : 1 + Math.floor(random() * 300_000);
    const piece = lent.subarray(0, size);
    for (let at = 0; at < size; at += 4)
      piece.writeUInt32LE((i * 2654435761 + at) >>> 0, Math.min(at, size - 4));
    expected.push(Buffer.from(piece));
    const result = appender.add(piece, true);
    assert.notEqual(result, true, "lent bytes are never kept");
    if (result instanceof Promise) await result;
  }
  const total = expected.reduce((sum, b) => sum + b.length, 0);
  await appender.flushed();
  await waitFor(() => gotBytes >= total, {
    timeout: 30_000,
    message: () => `${gotBytes} of ${total}`,
  });
  reader.destroy();
  await appender.close();
  assert.ok(Buffer.concat(got).equals(Buffer.concat(expected)), "every byte, in order");
  const inner = appender as unknown as { slabs: Map<unknown, unknown>; spareSlabs: Buffer[] };
  assert.equal(inner.slabs.size, 0, "no slab holds bytes once all is written");
  assert.ok(inner.spareSlabs.length <= 4);
});
