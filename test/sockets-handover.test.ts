/**
 * Which fds a child gets: every socket at circusd's own number with use_sockets, the
 * stdin_socket on fd 0, nothing beyond 0-2 without; and a datagram socket read by a worker.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { readFileSync } from "node:fs";
import { openFds, startCircusd, waitFor } from "./helpers/circusd.js";
import { connect, type RawClient } from "./helpers/control.js";
import { get, HTTP_WORKER, listSockets } from "./helpers/sockets.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** The pid of the watcher's first process, once it runs. */
async function firstPid(client: RawClient, name: string): Promise<number> {
  return waitFor(async () => {
    const pids = (await client.call("list", { name })).pids as number[];
    return pids[0] ?? null;
  });
}

describe("handing sockets to processes", () => {
  test("use_sockets: the sockets at their numbers; without it: only fds 0-2", async () => {
    const d = startCircusd(
      (dir) => `[socket:a]
host = 127.0.0.1
port = 0

[socket:b]
path = ${dir}/b.sock
type = SOCK_SEQPACKET
backlog = 7

[watcher:users]
cmd = /bin/sleep 1000 $(circus.sockets.a) ((circus.sockets.b))
use_sockets = true

[watcher:plain]
cmd = /bin/sleep 1000

[env:users]
MARK = ${dir}

[env:plain]
MARK = ${dir}
`,
    );
    const client = await connect(d);
    const sockets = await listSockets(client);
    assert.equal(sockets.get("b")?.backlog, 7);
    const a = sockets.get("a")?.fd as number;
    const b = sockets.get("b")?.fd as number;
    const usersPid = await firstPid(client, "users");
    const plainPid = await firstPid(client, "plain");
    const cmdline = readFileSync(`/proc/${usersPid}/cmdline`, "utf8").split("\0");
    assert.deepEqual(cmdline.slice(2, 4), [String(a), String(b)]);
    const fds = openFds(usersPid);
    assert.deepEqual(
      [...fds.keys()].sort((x, y) => x - y),
      [0, 1, 2, a, b].sort((x, y) => x - y),
    );
    assert.match(fds.get(a) ?? "", /^socket:/);
    assert.match(fds.get(b) ?? "", /^socket:/);
    assert.deepEqual(
      [...openFds(plainPid).keys()].sort((x, y) => x - y),
      [0, 1, 2],
    );
    assert.equal((await d.stop()).code, 0);
  });

  test("stdin_socket: the socket is fd 0, and a worker serves on it", async () => {
    const d = startCircusd(
      (dir) => `[socket:web]
host = 127.0.0.1
port = 0

[watcher:web]
cmd = ${process.execPath} ${HTTP_WORKER} 0 ${dir}
stdin_socket = web
graceful_timeout = 2
`,
    );
    const client = await connect(d);
    const port = (await listSockets(client)).get("web")?.port as number;
    const pid = await firstPid(client, "web");
    assert.match(openFds(pid).get(0) ?? "", /^socket:/);
    assert.equal(await get({ host: "127.0.0.1", port }), String(pid));
    assert.equal((await d.stop()).code, 0);
  });

  test("a DGRAM socket is read by its worker", async () => {
    const d = startCircusd(
      (dir) => `[socket:udp]
host = 127.0.0.1
port = 0
type = SOCK_DGRAM

[watcher:udp]
cmd = ${process.execPath} ${HTTP_WORKER} $(circus.sockets.udp) --dgram ${dir}/got.txt ${dir}
use_sockets = true
graceful_timeout = 1
`,
    );
    const client = await connect(d);
    const port = (await listSockets(client)).get("udp")?.port as number;
    assert.ok(port > 0);
    const sender = dgram.createSocket("udp4");
    try {
      // Datagrams sent before the worker reads wait in the socket's buffer; resend in case.
      const got = await waitFor(
        () => {
          sender.send("hello", port, "127.0.0.1");
          try {
            return readFileSync(d.path("got.txt"), "utf8");
          } catch {
            return null;
          }
        },
        { interval: 200 },
      );
      assert.match(got, /^\d+ hello$/m);
    } finally {
      sender.close();
    }
    assert.equal((await d.stop()).code, 0);
  });
});
