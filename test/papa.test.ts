/**
 * The process kernel (use_papa) with real circusd, real HTTP workers on a kernel socket under
 * load, and circusd killed (-9) or quitting and started again: the workers, their pids, their
 * output and the requests all survive.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  isAlive,
  isGone,
  makeTempDir,
  markedProcesses,
  refusal,
  ROOT,
  startCircusd,
  waitFor,
  writeConfig,
  type Circusd,
} from "./helpers/circusd.js";
import { connect, type RawClient } from "./helpers/control.js";
import { freePort } from "./helpers/ctl.js";
import { steadyLoad } from "./helpers/sockets.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

const WORKER = path.join(ROOT, "test/fixtures/graceful-http-worker.mjs");

/** Four HTTP workers on a kernel socket, ticking into a log file with its time stamps. */
function config(dir: string, port: number, extra = ""): string {
  return `[circus]
papa_endpoint = ipc://${dir}/papa.sock

[socket:web]
host = 127.0.0.1
port = ${port}
use_papa = true

[watcher:web]
cmd = ${process.execPath} ${WORKER} $(circus.sockets.web) ${dir}
numprocesses = 4
use_sockets = true
use_papa = true
graceful_timeout = 5
stdout_stream.class = FileStream
stdout_stream.filename = ${dir}/web.log
stdout_stream.time_format = %Y-%m-%d %H:%M:%S
${extra}
[env:web]
TICK_MS = 100
`;
}

async function pidsOf(client: RawClient, name = "web"): Promise<number[]> {
  const reply = await client.call("list", { name });
  return ((reply.pids as number[]) ?? []).slice().sort((a, b) => a - b);
}

async function waitForPids(client: RawClient, n: number, name = "web"): Promise<number[]> {
  return waitFor(
    async () => {
      const pids = await pidsOf(client, name);
      return pids.length === n ? pids : null;
    },
    { message: `${n} processes of ${name}` },
  );
}

/** The kernel process of a test folder (its argv names the folder's endpoint). */
function kernelPid(dir: string): number | undefined {
  return markedProcesses(dir).find((pid) =>
    readFileSync(`/proc/${pid}/cmdline`, "latin1").includes("circus-papa"),
  );
}

/** Starts circusd on the folder's config again, as a new circusd would. */
function restart(dir: string, text: string): Circusd {
  return startCircusd(text, { dir });
}

/**
 * The tick lines of the log, per pid: the numbers must run without a hole (nothing lost),
 * and each line's time stamp must be the second the worker wrote it, not the one circusd
 * read it at (output kept while circusd was away keeps its time).
 */
function checkTicks(file: string, pids: number[]): { lines: number; lateStamps: number } {
  const seen = new Map<number, number[]>();
  let lines = 0;
  let lateStamps = 0;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \[(\d+)\] \| tick (\d+) (\d+) (\d+)$/.exec(line);
    if (!m) continue;
    lines++;
    const stamp = new Date((m[1] as string).replace(" ", "T")).getTime();
    const wrote = Number(m[5]);
    if (Math.abs(stamp - Math.floor(wrote / 1000) * 1000) > 1000) lateStamps++;
    const pid = Number(m[2]);
    seen.set(pid, [...(seen.get(pid) ?? []), Number(m[4])]);
  }
  for (const pid of pids) {
    const numbers = seen.get(pid) ?? [];
    assert.ok(numbers.length > 20, `ticks of ${pid}: ${numbers.length}`);
    numbers.forEach((n, i) => {
      if (n !== i) assert.fail(`process ${pid}: tick ${i} missing or out of order (got ${n})`);
    });
  }
  return { lines, lateStamps };
}

describe("use_papa: the process kernel", { timeout: 110_000 }, () => {
  test("circusd killed with -9 and quitting: the same 4 workers serve on, no request fails, no output is lost", async () => {
    const dir = makeTempDir();
    const port = await freePort();
    const text = config(dir, port);
    const first = startCircusd(text, { dir });
    let client = await connect(first);
    const pids = await waitForPids(client, 4);
    const load = steadyLoad({ host: "127.0.0.1", port });
    await sleep(1000);

    first.kill("SIGKILL");
    await first.exited;
    // The gap: nobody supervises, the kernel keeps the output.
    await sleep(2500);
    const second = restart(dir, text);
    client = await connect(second);
    assert.deepEqual(await waitForPids(client, 4), pids, "the same pids after kill -9");
    await second.waitForLog(/web started/);
    assert.ok(
      pids.every((pid) => second.lines.some((l) => l.includes(`took back process ${pid}`))),
      second.log,
    );
    await sleep(1000);

    await client.call("quit", {});
    await second.waitExit();
    for (const pid of pids) assert.ok(isAlive(pid), `worker ${pid} outlived circusd's quit`);
    await sleep(1500);
    const third = restart(dir, text);
    client = await connect(third);
    assert.deepEqual(await waitForPids(client, 4), pids, "the same pids after quit");
    await sleep(1000);
    const report = await load.stop();

    assert.equal(report.failed, 0, `failed requests: ${report.errors.join("; ")}`);
    assert.ok(report.served > 100, `served ${report.served}`);
    assert.deepEqual(
      [...report.pids.keys()].map(Number).sort((a, b) => a - b),
      pids,
    );
    // What the workers wrote while no circusd ran reached the file with its own time.
    const { lateStamps } = await waitFor(
      () => {
        try {
          return checkTicks(path.join(dir, "web.log"), pids);
        } catch {
          return null;
        }
      },
      { message: () => `whole tick sequences in web.log` },
    );
    assert.equal(lateStamps, 0, "lines stamped with the time circusd read them");

    // Stopped for good: the kernel has nothing left to host and goes.
    const kernel = kernelPid(dir);
    assert.ok(kernel, "a kernel process");
    await client.call("stop", { waiting: true });
    await client.call("quit", {});
    await third.waitExit();
    await waitFor(() => isGone(kernel), { message: "the kernel to exit, hosting nothing" });
    assert.throws(() => statSync(path.join(dir, "papa.sock")), /ENOENT/);
  });

  test("a worker that ends while circusd is away is reaped with its exit code and replaced at recovery; start hooks are skipped", async () => {
    const dir = makeTempDir();
    const port = await freePort();
    writeFileSync(
      path.join(dir, "hooks.mjs"),
      `import { appendFileSync } from "node:fs";
const note = (line) => appendFileSync(${JSON.stringify(path.join(dir, "hooks.txt"))}, line + "\\n");
export const beforeStart = () => { note("before_start"); return true; };
export const beforeSpawn = () => { note("before_spawn"); return true; };
export const afterReap = ({ pid, exitCode }) => { note(\`after_reap \${pid} \${exitCode}\`); return true; };
`,
    );
    const hooks = [
      `hooks.before_start = ${dir}/hooks.mjs:beforeStart`,
      `hooks.before_spawn = ${dir}/hooks.mjs:beforeSpawn`,
      `hooks.after_reap = ${dir}/hooks.mjs:afterReap`,
    ].join("\n");
    const text = config(dir, port, hooks).replace("numprocesses = 4", "numprocesses = 2");
    const first = startCircusd(text, { dir });
    let client = await connect(first);
    const [victim, survivor] = (await waitForPids(client, 2)) as [number, number];
    first.kill("SIGKILL");
    await first.exited;
    // The worker's SIGTERM handler exits 0; SIGKILL gives Circus's -9.
    process.kill(victim, "SIGKILL");
    await waitFor(() => isGone(victim), { message: "the victim to be reaped by the kernel" });

    const second = restart(dir, text);
    client = await connect(second);
    const now = await waitFor(
      async () => {
        const pids = await pidsOf(client);
        return pids.length === 2 && !pids.includes(victim) ? pids : null;
      },
      { message: "a replacement for the worker that died" },
    );
    assert.ok(now.includes(survivor), "the survivor kept");
    await second.waitForLog(
      new RegExp(`process ${victim} \\(wid \\d\\) ended with signal SIGKILL while no circusd ran`),
    );
    const notes = await waitFor(
      () => {
        const text = readFileSync(path.join(dir, "hooks.txt"), "utf8");
        return text.includes(`after_reap ${victim} -9`) ? text.trim().split("\n") : null;
      },
      { message: "the after_reap hook of the victim" },
    );
    // One before_start (the first circusd's), one before_spawn per spawn: 2, then the replacement.
    assert.deepEqual(
      notes.filter((l) => l.startsWith("before_")),
      ["before_start", "before_spawn", "before_spawn", "before_spawn"],
    );
    await client.call("stop", { waiting: true });
  });

  test("output written while circusd is away is kept up to 2 MB per process, the oldest dropped and counted", async () => {
    const dir = makeTempDir();
    const writer = path.join(dir, "writer.mjs");
    // On SIGUSR1: 3 MB of numbered 100-byte lines, then a last line.
    writeFileSync(
      writer,
      `process.on("SIGUSR1", () => {
  for (let i = 0; i < 30000; i++) process.stdout.write(String(i).padStart(8, "0") + "x".repeat(91) + "\\n");
  process.stdout.write("LAST\\n");
});
setInterval(() => {}, 1000);
console.log("ready");
`,
    );
    const text = `[circus]
papa_endpoint = ipc://${dir}/papa.sock

[watcher:writer]
cmd = ${process.execPath} ${writer} ${dir}
use_papa = true
stdout_stream.class = FileStream
stdout_stream.filename = ${dir}/out.log
`;
    const first = startCircusd(text, { dir });
    let client = await connect(first);
    const [pid] = (await waitForPids(client, 1, "writer")) as [number];
    const log = path.join(dir, "out.log");
    // Its SIGUSR1 handler is in place once it said so.
    await waitFor(() => existsSync(log) && readFileSync(log, "utf8") === "ready\n", {
      message: "the writer's ready line",
    });
    first.kill("SIGKILL");
    await first.exited;
    process.kill(pid, "SIGUSR1");
    await sleep(1500);
    const second = restart(dir, text);
    client = await connect(second);
    assert.deepEqual(await waitForPids(client, 1, "writer"), [pid]);
    await waitFor(() => readFileSync(log, "utf8").endsWith("LAST\n"), {
      message: "LAST in out.log",
    });
    const line = await second.waitForLog(/dropped (\d+) bytes of its output/);
    const dropped = Number(/dropped (\d+) bytes/.exec(line)?.[1]);
    const text_ = readFileSync(log, "latin1").slice("ready\n".length);
    // Kept: exactly the last 2 MiB (the oldest bytes dropped first), then nothing is missing.
    assert.equal(text_.length, 2 * 1024 * 1024);
    assert.equal(dropped + text_.length, 30000 * 100 + "LAST\n".length, "dropped + kept = written");
    const lines = text_.split("\n").filter((l) => /^\d{8}x{91}$/.test(l));
    const firstKept = Number((lines[0] as string).slice(0, 8));
    assert.equal(lines.length, 30000 - firstKept, "a hole in what was kept");
    await client.call("stop", { waiting: true });
  });

  test("one circusd at a time: a second one on the same kernel is refused with a line naming papa_endpoint", async () => {
    const dir = makeTempDir();
    const port = await freePort();
    const first = startCircusd(config(dir, port), { dir });
    const client = await connect(first);
    await waitForPids(client, 4);
    const other = writeConfig(dir, config(dir, port), "other.ini");
    const line = await refusal(other, dir);
    assert.match(
      line,
      /papa_endpoint ipc:\/\/.*papa\.sock: another circusd is connected to this kernel/,
    );
    assert.equal((await pidsOf(client)).length, 4, "the first circusd's workers untouched");
    // The socket is the kernel's: its fd is the kernel's, and says so.
    const listed = (await client.call("listsockets", {})).sockets as Record<string, unknown>[];
    assert.deepEqual(
      listed.map((s) => [s.name, s.port, s.papa]),
      [["web", port, true]],
    );
    await client.call("stop", { waiting: true });
  });

  test("configs that cannot work are refused at startup naming file, section and option", async () => {
    const dir = makeTempDir();
    const cases: [string, RegExp][] = [
      [
        `[circus]\npapa_endpoint = tcp://0.0.0.0:20202\n[watcher:a]\ncmd = /bin/sleep 100\nuse_papa = true\n`,
        /\[circus\] papa_endpoint: the process kernel listens only on loopback or ipc:\/\//,
      ],
      [
        `[socket:web]\nport = 0\n[watcher:a]\ncmd = /bin/sleep $(circus.sockets.web)\nuse_sockets = true\nuse_papa = true\n`,
        /\[watcher:a\] use_papa: socket web has no use_papa = true/,
      ],
      [
        `[socket:web]\nport = 0\nuse_papa = true\n[watcher:a]\ncmd = /bin/sleep $(circus.sockets.web)\nuse_sockets = true\n`,
        /\[watcher:a\] use_papa: socket web has use_papa = true: only watchers with use_papa = true can use it/,
      ],
      [
        `[socket:web]\nport = 0\nuse_papa = true\nso_reuseport = true\n[watcher:a]\ncmd = /bin/sleep 1\nuse_papa = true\n`,
        /\[socket:web\] so_reuseport: so_reuseport with use_papa is not supported/,
      ],
    ];
    for (const [i, [text, expected]] of cases.entries()) {
      const file = writeConfig(dir, text, `case${i}.ini`);
      const line = await refusal(file, dir);
      assert.match(line, expected);
      assert.ok(line.includes(file), `names the file: ${line}`);
    }
  });
});
