/**
 * Output streams under load: ten processes sharing one FileStream, and one child writing
 * 1 GiB as fast as it can through a rotating FileStream, with circusd's memory bounded.
 */
import assert from "node:assert/strict";
import { closeSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { makeTempDir, startCircusd, waitFor } from "./helpers/circusd.js";
import {
  filesStartingWith,
  pidsOf,
  readText,
  rssBytes,
  sizeOf,
  writerSection,
} from "./helpers/streams.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

describe("streams under load", () => {
  test("ten processes writing at once into one FileStream: every line whole, every line there", async () => {
    const dir = makeTempDir();
    const go = path.join(dir, "go");
    const file = path.join(dir, "shared.log");
    const count = 3000;
    const width = 100;
    const d = startCircusd(
      writerSection(
        dir,
        "ten",
        // 333-byte writes: nearly every write ends in the middle of a line.
        `--mode lines --tag $(circus.wid) --lines ${count} --width ${width} --chunk 333 ` +
          `--wait-file ${go}`,
        { numprocesses: 10, "stdout_stream.class": "FileStream", "stdout_stream.filename": file },
      ),
      { dir },
    );
    await waitFor(() => pidsOf(d, "ten").length === 10, {
      message: () => `10 processes; log:\n${d.log}\n${d.stderr}`,
    });
    writeFileSync(go, "");
    await waitFor(() => sizeOf(file) === 10 * count * width, {
      timeout: 30_000,
      message: () => `${10 * count * width} bytes in shared.log; it has ${sizeOf(file)}`,
    });
    const lines = readText(file).split("\n");
    assert.equal(lines.pop(), "", "the file ends with a line end");
    const next = new Map<string, number>();
    const shape = /^(\d+):(\d{10}) x+$/;
    for (const [i, line] of lines.entries()) {
      const m = shape.exec(line);
      if (!m || line.length !== width - 1)
        assert.fail(`line ${i} is not a whole line: ${JSON.stringify(line.slice(0, 200))}`);
      const [, tag = "", n] = m;
      const expected = next.get(tag) ?? 0;
      if (Number(n) !== expected)
        assert.fail(`line ${i}: process ${tag} line ${Number(n)}, expected ${expected}`);
      next.set(tag, expected + 1);
    }
    assert.deepEqual(
      [...next.entries()].sort((a, b) => Number(a[0]) - Number(b[0])),
      Array.from({ length: 10 }, (_, i) => [String(i + 1), count]),
    );
  });

  test("1 GiB through a rotating FileStream: every line once and in order, RSS grows < 50 MB", async (t) => {
    const dir = makeTempDir();
    const go = path.join(dir, "go");
    const done = path.join(dir, "done");
    const total = 1024 * 1024 * 1024;
    const maxBytes = 104857600;
    const lineWidth = 64;
    try {
      const d = startCircusd(
        writerSection(dir, "big", `--mode big --bytes ${total} --wait-file ${go} --done ${done}`, {
          "stdout_stream.class": "FileStream",
          "stdout_stream.filename": path.join(dir, "app.log"),
          "stdout_stream.max_bytes": maxBytes,
          "stdout_stream.backup_count": 20,
        }),
        { dir },
      );
      await waitFor(() => pidsOf(d, "big").length === 1, {
        message: () => `the writer to run; log:\n${d.log}\n${d.stderr}`,
      });
      await sleep(500);
      const baseline = rssBytes(d.pid);
      let peak = baseline;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, rssBytes(d.pid));
          await sleep(50);
        }
      })();
      const t0 = Date.now();
      writeFileSync(go, "");
      const names = () => filesStartingWith(dir, "app.log");
      const written = () =>
        names().reduce((sum, n) => sum + Math.max(0, sizeOf(path.join(dir, n))), 0);
      try {
        await waitFor(() => written() === total, {
          timeout: 100_000,
          interval: 200,
          message: () => `1 GiB in the files; ${written()} bytes so far (${names().join(", ")})`,
        });
      } finally {
        sampling = false;
        await sampler;
      }
      const seconds = (Date.now() - t0) / 1000;
      const grown = peak - baseline;
      assert.ok(
        grown < 50 * 1024 * 1024,
        `circusd RSS grew by ${(grown / 1048576).toFixed(1)} MB (from ${(baseline / 1048576).toFixed(1)} MB)`,
      );

      // Oldest first: app.log.N ... app.log.1, app.log.
      const ordered = names().sort((a, b) => {
        const rank = (n: string) => (n === "app.log" ? 0 : Number(n.slice("app.log.".length)));
        return rank(b) - rank(a);
      });
      assert.equal(ordered.length, Math.ceil(total / maxBytes), `files: ${ordered.join(", ")}`);
      let counter = 0;
      let carry = Buffer.alloc(0);
      const buffer = Buffer.alloc(8 * 1024 * 1024);
      for (const name of ordered) {
        const file = path.join(dir, name);
        assert.ok(sizeOf(file) <= maxBytes, `${name} is ${sizeOf(file)} bytes`);
        const fd = openSync(file, "r");
        try {
          for (;;) {
            const n = readSync(fd, buffer, 0, buffer.length, null);
            if (n === 0) break;
            const data = carry.length ? Buffer.concat([carry, buffer.subarray(0, n)]) : buffer;
            const end = carry.length ? data.length : n;
            let off = 0;
            for (; off + lineWidth <= end; off += lineWidth, counter++) {
              let value = 0;
              for (let i = 0; i < 16; i++) value = value * 10 + (data[off + i] as number) - 48;
              if (value !== counter || data[off + 16] !== 0x20 || data[off + 63] !== 0x0a) {
                assert.fail(
                  `record ${counter} (in ${name}) reads ` +
                    JSON.stringify(data.subarray(off, off + lineWidth).toString("latin1")),
                );
              }
            }
            carry = Buffer.from(data.subarray(off, end));
          }
        } finally {
          closeSync(fd);
        }
      }
      assert.equal(carry.length, 0, "the last line is whole");
      assert.equal(counter, total / lineWidth, "every line, once");
      assert.ok(readText(done) === "done", "the child finished");
      assert.deepEqual(pidsOf(d, "big").length, 1);
      // For the report: how long 1 GiB took through circusd.
      t.diagnostic(
        `1 GiB through a FileStream in ${seconds.toFixed(1)} s; circusd RSS ` +
          `${(baseline / 1048576).toFixed(1)} MB -> peak ${(peak / 1048576).toFixed(1)} MB`,
      );
    } finally {
      for (const name of filesStartingWith(dir, "app.log"))
        rmSync(path.join(dir, name), { force: true });
    }
  });
});
