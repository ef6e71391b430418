/**
 * so_reuseport: every worker that names the socket gets a fresh SO_REUSEPORT socket bound
 * to the same address, at the number `$(circus.sockets.NAME)` gives; the kernel spreads
 * the connections over them, and circusd keeps none of the siblings open.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readlinkSync } from "node:fs";
import { openFds, startCircusd, waitFor } from "./helpers/circusd.js";
import { connect } from "./helpers/control.js";
import { httpWatcher, listSockets, load, tcpSocket } from "./helpers/sockets.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** The socket inodes a process holds open. */
function socketLinks(pid: number): string[] {
  return [...openFds(pid).values()].filter((link) => link.startsWith("socket:"));
}

describe("so_reuseport", () => {
  test("4 workers, each on its own socket at the shared number, all answering", async () => {
    const d = startCircusd(
      (dir) =>
        tcpSocket("web", { so_reuseport: true }) +
        httpWatcher(dir, "web", "web", { numprocesses: 4, graceful_timeout: 2 }),
    );
    const client = await connect(d);
    const listed = (await listSockets(client)).get("web");
    const port = listed?.port as number;
    const fd = listed?.fd as number;
    assert.ok(port > 0);
    const pids = await waitFor(async () => {
      const found = (await client.call("list", { name: "web" })).pids as number[];
      return found.length === 4 ? found : null;
    });

    const inodes = pids.map((pid) => readlinkSync(`/proc/${pid}/fd/${fd}`));
    for (const inode of inodes) assert.match(inode, /^socket:/);
    assert.equal(new Set(inodes).size, 4, `each worker has its own socket: ${inodes}`);
    const shared = readlinkSync(`/proc/${d.pid}/fd/${fd}`);
    assert.ok(!inodes.includes(shared), "not the shared socket");
    // circusd closed every sibling after the spawn.
    const held = socketLinks(d.pid);
    for (const inode of inodes) assert.ok(!held.includes(inode), `circusd still holds ${inode}`);

    const seen = new Set<string>();
    for (let round = 0; round < 10 && seen.size < 2; round++) {
      const answers = await load({ host: "127.0.0.1", port }, 100);
      assert.equal(answers.length, 100);
      for (const pid of answers) seen.add(pid);
    }
    assert.ok(seen.size > 1, `answered by ${[...seen]}`);
    for (const pid of seen) assert.ok(pids.map(String).includes(pid));
    assert.equal((await d.stop()).code, 0);
  });
});
