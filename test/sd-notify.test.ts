/**
 * circusd's sd_notify (for systemd's Type=notify): READY=1 once its watchers are up,
 * RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1 when it stops, each from
 * circusd's own pid; and its processes never see NOTIFY_SOCKET, even with copy_env.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir, startCircusd, waitFor } from "./helpers/circusd.js";
import { connect } from "./helpers/control.js";
import { cleanupEachTest, defer } from "./helpers/cleanup.js";
import { NotifySocket } from "../src/sys/notify-socket.js";

cleanupEachTest();

test("circusd tells systemd when it is ready, reloading and stopping", async () => {
  const dir = makeTempDir();
  const messages: { pid: number; fields: Map<string, string> }[] = [];
  const socket = new NotifySocket(path.join(dir, "notify.sock"));
  socket.open((sender, fields) => messages.push({ pid: sender.pid, fields }));
  defer(() => socket.close());
  const d = startCircusd(
    `[watcher:env]\ncmd = /bin/sleep 1000\ncopy_env = true\nnumprocesses = 2\nwarmup_delay = 0.3\n\n[env:env]\nCIRCUS_IT_MARKER = ${dir}\n`,
    { dir, env: { ...process.env, NOTIFY_SOCKET: socket.path } },
  );
  const client = await connect(d);
  const said = (key: string, value: string, from = 0) =>
    waitFor(() => messages.slice(from).find((m) => m.fields.get(key) === value), {
      message: () => `${key}=${value}; got ${JSON.stringify(messages.map((m) => [...m.fields]))}`,
    });
  const ready = await said("READY", "1");
  assert.equal(ready.pid, d.pid);
  assert.equal(ready.fields.get("MAINPID"), String(d.pid));
  assert.equal(ready.fields.get("STATUS"), "1 watchers, 2 processes", "sent once both started");
  const pids = (await client.call("list", { name: "env" })).pids as number[];
  for (const pid of pids)
    assert.ok(
      !readFileSync(`/proc/${pid}/environ`, "latin1").includes("NOTIFY_SOCKET="),
      `process ${pid} inherited NOTIFY_SOCKET`,
    );

  const before = messages.length;
  d.child.kill("SIGHUP");
  await said("RELOADING", "1", before);
  await said("READY", "1", before + 1);
  d.child.kill("SIGTERM");
  await said("STOPPING", "1");
  assert.equal((await d.waitExit()).code, 0);
});
