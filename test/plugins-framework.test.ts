/**
 * The plugin framework: a user's TypeScript plugin run by circusd from a `[plugin:NAME]`
 * section (the manual's Logger example, shipped in examples/), the same plugin run by hand
 * with circus-plugin, and what circusd does with plugins that cannot run or that crash.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { makeTempDir, ROOT, refusal, waitFor } from "./helpers/circusd.js";
import { clientOf, startDaemon } from "./helpers/ctl.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

const EVENT_LOGGER = path.join(ROOT, "examples/event-logger.ts");
const CIRCUS_PLUGIN = path.join(ROOT, "dist/cli/circus-plugin.js");

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : [];
}

describe("plugins", () => {
  test("a TypeScript plugin from [plugin:NAME] logs every event, as the manual's Logger", async () => {
    let events = "";
    const daemon = await startDaemon((dir) => {
      events = path.join(dir, "events.log");
      return `[watcher:sleeper]
cmd = sleep 300
numprocesses = 1

[plugin:logger]
use = ${EVENT_LOGGER}:EventLogger
filename = ${events}
`;
    });
    const c = clientOf(daemon.endpoint);
    // The plugin is a watcher of its own, with Circus's name for it.
    assert.equal((await c.call("status", { name: "plugin:logger" })).status, "active");
    // Subscriptions reach the publisher a moment after the plugin connects: keep nudging.
    await waitFor(
      async () => {
        await c.call("incr", { name: "sleeper", waiting: true });
        return lines(events).some((l) => l.startsWith("spawn sleeper::"));
      },
      { interval: 300, message: () => `a spawn line in ${events}: ${lines(events).join("\n")}` },
    );
    const spawn = lines(events).find((l) => l.startsWith("spawn sleeper::")) as string;
    const data = JSON.parse(spawn.slice("spawn sleeper::".length)) as Record<string, unknown>;
    assert.equal(typeof data.process_pid, "number");
    await c.call("stop", { name: "sleeper", waiting: true });
    await waitFor(() => lines(events).some((l) => l.startsWith("stop sleeper::")));
    // Its own output is in its watcher's ring, as any process's.
    const logs = await c.call("logs", { name: "plugin:logger", lines: 20 });
    const text = (logs.logs as { line: string }[]).map((l) => l.line).join("\n");
    assert.match(text, /\[INFO\] Starting/);
  });

  test("circus-plugin runs the same plugin by hand and stops on SIGTERM", async () => {
    const daemon = await startDaemon(() => `[watcher:sleeper]\ncmd = sleep 300\n`);
    const dir = makeTempDir();
    const events = path.join(dir, "by-hand.log");
    const child = spawn(
      process.execPath,
      [
        CIRCUS_PLUGIN,
        "--endpoint",
        daemon.endpoint,
        "--pubsub",
        daemon.pubsub,
        "--config",
        `filename:${events}`,
        `${EVENT_LOGGER}:EventLogger`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => (out += t));
    child.stderr.setEncoding("utf8").on("data", (t: string) => (out += t));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    try {
      await waitFor(() => out.includes("Starting"), { message: () => out });
      const c = clientOf(daemon.endpoint);
      await waitFor(
        async () => {
          await c.call("incr", { name: "sleeper", waiting: true });
          return lines(events).some((l) => l.startsWith("spawn sleeper::"));
        },
        { interval: 300, message: () => `spawn in ${events}; plugin said:\n${out}` },
      );
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0);
    assert.match(out, /Loading the plugin\.\.\./);
    assert.match(out, /Stopping/);
  });

  test("a plugin that cannot run is refused at startup with one line naming the section", async () => {
    const dir = makeTempDir();
    writeFileSync(path.join(dir, "mod.mjs"), "export const other = 1;\n");
    const cases: [string, RegExp][] = [
      [
        "use = circus.plugins.nope.Nope",
        /\[plugin:p\] use: unknown plugin "circus\.plugins\.nope\.Nope"/,
      ],
      ["use = ./mod.mjs:Missing", /\[plugin:p\] use: \.\/mod\.mjs has no export "Missing"/],
      ["use = ./nowhere.mjs:X", /\[plugin:p\] use: cannot load \.\/nowhere\.mjs/],
      ["use = ./mod.mjs:other", /\[plugin:p\] use: \.\/mod\.mjs:other is not a class/],
      ["use = Flapping\ncmd = echo", /\[plugin:p\] cmd: circusd runs a plugin itself/],
      ["use = Flapping\nactive = maybe", /\[plugin:p\] active: expected a boolean/],
    ];
    for (const [section, expected] of cases) {
      const file = path.join(dir, "circus.ini");
      writeFileSync(file, `[watcher:w]\ncmd = sleep 300\n\n[plugin:p]\n${section}\n`);
      assert.match(await refusal(file, dir), expected);
    }
  });

  test("a plugin that crashes is restarted like any watcher; circusd keeps serving", async () => {
    let marker = "";
    const daemon = await startDaemon((dir) => {
      marker = path.join(dir, "starts.log");
      writeFileSync(
        path.join(dir, "crashing.mjs"),
        `import { appendFileSync } from "node:fs";
import { CircusPlugin } from ${JSON.stringify(path.join(ROOT, "dist/index.js"))};
export class Crashing extends CircusPlugin {
  handleInit() {
    appendFileSync(${JSON.stringify(marker)}, "start\\n");
    setTimeout(() => { throw new Error("plugin bug"); }, 200);
  }
  handleRecv() {}
}
`,
      );
      return `[plugin:crashing]\nuse = ${path.join(dir, "crashing.mjs")}:Crashing\n`;
    });
    await waitFor(() => lines(marker).length >= 3, {
      timeout: 30_000,
      message: () => `three starts in ${marker}: ${lines(marker).length}`,
    });
    const c = clientOf(daemon.endpoint);
    assert.equal((await c.call("list")).status, "ok");
    assert.equal(daemon.circusd.exitStatus, null, "circusd still runs");
  });
});
