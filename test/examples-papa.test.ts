/**
 * examples/papa.ini, the seeds' Papa example with the commands available here (nginx in front
 * of node workers on a kernel unix socket, a shell logger, the Flapping plugin), run for real
 * in a temp folder: it serves through nginx, and its three use_papa watchers keep their pids
 * and keep serving across a kill -9 of circusd.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isAlive, makeTempDir, ROOT, startCircusd } from "./helpers/circusd.js";
import { connect, type RawClient } from "./helpers/control.js";
import { freePort } from "./helpers/ctl.js";
import { get } from "./helpers/sockets.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";

cleanupEachTest();

const PAPA_WATCHERS = ["nginx", "logger", "web_app"];

/** The example's files in `dir`, its /tmp paths and nginx's port moved into the folder. */
function copyExample(dir: string, port: number): string {
  mkdirSync(path.join(dir, "examples"));
  const moved = (text: string) =>
    text.replaceAll("/tmp/circus-papa", path.join(dir, "papa")).replaceAll("8081", String(port));
  for (const file of ["papa.ini", "papa-nginx.conf"]) {
    const text = readFileSync(path.join(ROOT, "examples", file), "utf8");
    writeFileSync(path.join(dir, "examples", file), moved(text));
  }
  copyFileSync(
    path.join(ROOT, "examples/web-worker.mjs"),
    path.join(dir, "examples/web-worker.mjs"),
  );
  // nginx's workers (user nobody) reach the kernel's socket file in it.
  chmodSync(dir, 0o755);
  return readFileSync(path.join(dir, "examples/papa.ini"), "utf8");
}

async function pidsOf(client: RawClient): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const name of PAPA_WATCHERS) {
    const reply = await client.call("list", { name });
    out[name] = ((reply.pids as number[]) ?? []).slice().sort((a, b) => a - b);
  }
  return out;
}

test("examples/papa.ini serves through nginx and keeps its workers across kill -9 of circusd", async () => {
  const dir = makeTempDir("circus-papa-example-");
  const port = await freePort();
  const text = copyExample(dir, port);
  const first = startCircusd(text, { dir, file: "examples/papa.ini" });
  let client = await connect(first, "examples/papa.ini");
  const target = { host: "127.0.0.1", port };
  assert.match(await retryGet(target), /^hello from worker \d+/);
  const before = await pidsOf(client);
  // nginx's argv and environment do not carry the folder: its session is killed by pid.
  defer(() => {
    for (const pid of Object.values(before).flat()) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
  });
  assert.equal(before.web_app?.length, 2);
  assert.equal(before.nginx?.length, 1);

  first.kill("SIGKILL");
  await first.exited;
  for (const pid of Object.values(before).flat())
    assert.ok(isAlive(pid), `${pid} outlived circusd`);
  assert.match(await get(target), /^hello from worker \d+/, "nginx serves while circusd is away");

  const second = startCircusd(text, { dir, file: "examples/papa.ini" });
  client = await connect(second, "examples/papa.ini");
  await second.waitForLog(/Arbiter now waiting for commands/);
  assert.deepEqual(await pidsOf(client), before);
  const status = await client.call("status", {});
  assert.deepEqual(status.statuses, {
    logger: "active",
    nginx: "active",
    "plugin:flapping": "active",
    web_app: "active",
  });
  assert.match(readFileSync(path.join(dir, "papa-logger.log"), "utf8"), /\| logger \d+/);
  await client.call("stop", { waiting: true });
});

/** nginx answers once its worker listens: the first GET may come a moment early. */
async function retryGet(target: { host: string; port: number }): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      return await get(target);
    } catch (error) {
      if (i > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
