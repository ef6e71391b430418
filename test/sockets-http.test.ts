/**
 * Sockets bound by circusd and shared by the processes of a watcher: a real HTTP worker
 * run 4 times on one TCP, unix or IPv6 socket; every request is answered, by more than one
 * worker (the kernel balances, circusd is not in the path).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { startCircusd } from "./helpers/circusd.js";
import { connect } from "./helpers/control.js";
import { httpWatcher, listSockets, load, type Target } from "./helpers/sockets.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** A config with one socket and a 4-process HTTP watcher using it. */
function config(dir: string, socket: string): string {
  return `[socket:web]\n${socket}\n\n${httpWatcher(dir, "web", "web", { numprocesses: 4, graceful_timeout: 2 })}`;
}

/** Many requests answered, by more than one pid (retrying a few rounds: balance is luck). */
async function assertBalanced(target: Target): Promise<void> {
  const seen = new Set<string>();
  for (let round = 0; round < 10 && seen.size < 2; round++) {
    const pids = await load(target, 100);
    assert.equal(pids.length, 100);
    for (const pid of pids) {
      assert.match(pid, /^\d+$/);
      seen.add(pid);
    }
  }
  assert.ok(seen.size > 1, `answered by ${seen.size} worker(s) only`);
}

describe("sockets shared by HTTP workers", () => {
  test("TCP on port 0: listsockets reports the real port, 4 workers answer", async () => {
    const d = startCircusd((dir) => config(dir, "host = 127.0.0.1\nport = 0"));
    const client = await connect(d);
    const web = (await listSockets(client)).get("web");
    assert.ok(web, "listsockets lists web");
    assert.equal(web.host, "127.0.0.1");
    assert.ok(web.port && web.port > 0, `a real port, got ${web.port}`);
    assert.ok(web.fd > 2);
    assert.equal(web.backlog, 2048);
    await d.waitForChildren(4);
    await assertBalanced({ host: "127.0.0.1", port: web.port });
    assert.equal((await d.stop()).code, 0);
  });

  test("unix socket: the file gets the umask, is served, and is removed at stop", async () => {
    const d = startCircusd((dir) => config(dir, `path = ${dir}/web.sock\numask = 077`));
    const client = await connect(d);
    const web = (await listSockets(client)).get("web");
    const file = d.path("web.sock");
    assert.deepEqual(web?.path, file);
    assert.equal(web.port, undefined);
    const st = statSync(file);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o700);
    await assertBalanced({ socketPath: file });
    assert.equal((await d.stop()).code, 0);
    assert.equal(existsSync(file), false, "the socket file is removed at stop");
  });

  test("IPv6 loopback", async () => {
    const d = startCircusd((dir) => config(dir, "host = ::1\nport = 0\nfamily = AF_INET6"));
    const client = await connect(d);
    const web = (await listSockets(client)).get("web");
    assert.ok(web?.port);
    await assertBalanced({ host: "::1", port: web.port });
    assert.equal((await d.stop()).code, 0);
  });
});
