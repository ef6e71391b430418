/**
 * The live tail: the `logs` command (the last lines of every process's stdout and stderr)
 * and `circusctl logs [-n N] [-f]`, against a real circusd whose children talk.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, test } from "node:test";
import { Subscriber } from "../src/client/subscriber.js";
import { waitFor } from "./helpers/circusd.js";
import { CIRCUSCTL, clientOf, ctlEnv, runCtl, startDaemon } from "./helpers/ctl.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** A watcher whose processes print `out N` and `err N` every 50 ms. */
function talker(name: string, extra = ""): string {
  return `[watcher:${name}]
cmd = /bin/sh -c 'i=0; while :; do i=$((i+1)); echo "out $i"; echo "err $i" >&2; sleep 0.05; done'
numprocesses = 2
${extra}
`;
}

interface Line {
  watcher: string;
  pid: number;
  stream: string;
  line: string;
  time: number;
}

describe("logs", () => {
  test("the last lines of each process and pipe, with or without a stream", async () => {
    const daemon = await startDaemon(
      (dir) =>
        talker("plain") +
        talker("filed", `stdout_stream.class = FileStream\nstdout_stream.filename = ${dir}/f.log`),
    );
    const c = clientOf(daemon.endpoint);
    // Both watchers' processes have each written three lines on each pipe.
    for (const name of ["plain", "filed"])
      await waitFor(async () => {
        const reply = await c.call("logs", { name, lines: 3 });
        return (reply.logs as Line[]).length === 12;
      });
    for (const name of ["plain", "filed"]) {
      const reply = await c.call("logs", { name, lines: 3 });
      assert.equal(reply.status, "ok");
      const lines = reply.logs as Line[];
      const pids = (await c.call("list", { name })).pids as number[];
      for (const pid of pids) {
        for (const stream of ["stdout", "stderr"]) {
          const mine = lines.filter((l) => l.pid === pid && l.stream === stream);
          assert.equal(mine.length, 3, `${name} ${pid} ${stream}: ${JSON.stringify(lines)}`);
          const word = stream === "stdout" ? "out" : "err";
          const numbers = mine.map((l) => Number(l.line.replace(`${word} `, "")));
          assert.ok(
            numbers.every((n, i) => i === 0 || n === (numbers[i - 1] as number) + 1),
            `consecutive lines, oldest first: ${JSON.stringify(mine)}`,
          );
          assert.ok(mine.every((l) => l.watcher === name && l.line.startsWith(word)));
        }
      }
      const times = lines.map((l) => l.time);
      assert.deepEqual(
        times,
        [...times].sort((a, b) => a - b),
        "sorted by time",
      );
    }
    const all = await c.call("logs", { lines: 1 });
    assert.deepEqual(
      [...new Set((all.logs as Line[]).map((l) => l.watcher))].sort(),
      ["filed", "plain"],
      "no name: every watcher",
    );
    const unknown = await c.call("logs", { name: "nope" });
    assert.equal(unknown.status, "error");
    assert.match(String(unknown.reason), /nope not found/);
    const bad = await c.call("logs", { name: "plain", lines: "ten" });
    assert.equal(bad.status, "error");
    assert.equal((await c.call("list")).status, "ok", "still serving");
  });

  test("circusctl logs prints watcher, pid and pipe before each line", async () => {
    const daemon = await startDaemon(() => talker("talk"));
    const env = { CIRCUSCTL_ENDPOINT: daemon.endpoint };
    await waitFor(async () => (await runCtl(["logs", "talk", "-n", "2"], { env })).stdout);
    const result = await runCtl(["logs", "talk", "-n", "2"], { env });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 8, result.stdout);
    for (const line of lines) assert.match(line, /^talk \d+ (out \| out|err \| err) \d+$/);
    const json = await runCtl(["--json", "logs", "talk", "--lines", "1"], { env });
    assert.equal(json.code, 0);
    assert.equal((JSON.parse(json.stdout) as { logs: Line[] }).logs.length, 4);
    const usage = await runCtl(["logs", "talk", "-n", "many"], { env });
    assert.notEqual(usage.code, 0);
    assert.match(usage.stderr, /lines should be an integer/);
  });

  test("circusctl logs -f follows new output until interrupted", async () => {
    const daemon = await startDaemon(() => talker("talk"));
    const child = spawn(process.execPath, [CIRCUSCTL, "logs", "talk", "-n", "1", "-f"], {
      env: ctlEnv({ CIRCUSCTL_ENDPOINT: daemon.endpoint }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (out += text));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    try {
      // Well past what the ring held at the start: these lines came live.
      await waitFor(() => out.split("\n").length > 60, {
        message: () => `live lines; got:\n${out}`,
      });
    } finally {
      child.kill("SIGINT");
    }
    assert.equal(await exited, 0);
    const lines = out.trimEnd().split("\n");
    for (const line of lines) assert.match(line, /^talk \d+ (out \| out|err \| err) \d+$/);
    const pids = new Set(lines.map((l) => l.split(" ")[1]));
    assert.equal(pids.size, 2, "both processes");
  });

  test("output is published only while someone follows it", async () => {
    const daemon = await startDaemon(() => talker("talk"));
    const everything = new Subscriber({ endpoint: daemon.pubsub, topics: [""] });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of everything) seen.push(event.topic);
    })();
    try {
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal(seen.filter((t) => t.startsWith("logs.")).length, 0, "nobody follows yet");
      const follower = new Subscriber({ endpoint: daemon.pubsub, topics: ["logs.talk."] });
      try {
        const event = await waitFor(async () => {
          const next = await follower[Symbol.asyncIterator]().next();
          return next.value as { topic: string; data: Record<string, unknown> };
        });
        assert.match(event.topic, /^logs\.talk\.\d+\.std(out|err)$/);
        assert.equal(event.data.watcher, "talk");
        assert.match(String(event.data.data), /^(out|err) \d+\n/);
      } finally {
        follower.close();
      }
      assert.ok(
        seen.some((t) => t.startsWith("logs.talk.")),
        "published while followed",
      );
      // The follower gone, publishing stops again.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = seen.length;
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal(seen.slice(before).filter((t) => t.startsWith("logs.")).length, 0);
    } finally {
      everything.close();
      await reading;
    }
  });
});
