/**
 * A stream whose file stops taking writes (a FIFO whose reader stalls, as a hung network
 * filesystem would) slows its own processes only: circusd keeps answering, and what the
 * reader takes later arrives whole.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Client } from "../src/client/client.js";
import { makeTempDir, ROOT, waitFor } from "./helpers/circusd.js";
import { startDaemon } from "./helpers/ctl.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

const WRITER = path.join(ROOT, "test/fixtures/streams/writer.mjs");

test("a stalled FIFO does not stall circusd", async () => {
  const dir = makeTempDir();
  const fifo = path.join(dir, "out.fifo");
  const progress = path.join(dir, "progress");
  execFileSync("mkfifo", [fifo]);
  // The reader opens the FIFO (so circusd's open returns) and then reads nothing for now.
  const reader = spawn("/bin/sh", ["-c", `exec 3<"$1"; sleep 300`, "sh", fifo], {
    stdio: "ignore",
  });
  try {
    const daemon = await startDaemon(
      () => `[watcher:talker]
cmd = ${process.execPath} ${WRITER} --mode big --bytes 8388608 --progress ${progress} ${dir}
stdout_stream.class = FileStream
stdout_stream.filename = ${fifo}
`,
    );
    const client = new Client({ endpoint: daemon.endpoint, timeout: 2 });
    try {
      // Several times over while the FIFO is full and a write to it hangs: answers come.
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        const reply = await client.call("status", { name: "talker" });
        assert.equal(reply.status, "active");
        assert.ok(performance.now() - started < 1000, "status answered within a second");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Now a reader takes everything (opened before the stalled one goes, so that the FIFO
      // never lacks a reader): the 8 MiB arrive.
      let got = 0;
      const drain = createReadStream(fifo);
      drain.on("data", (chunk) => (got += chunk.length));
      await new Promise((resolve) => drain.once("open", resolve));
      reader.kill("SIGKILL");
      await waitFor(() => got >= 8388608, { timeout: 30_000, message: () => `${got} bytes` });
      drain.destroy();
      assert.equal(got, 8388608);
    } finally {
      client.close();
    }
  } finally {
    reader.kill("SIGKILL");
  }
});
