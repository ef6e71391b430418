/**
 * Sockets that cannot be bound, and watchers naming sockets that do not exist: circusd
 * exits 1 with one line naming the section and option, and leaves nothing bound behind.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import net from "node:net";
import { makeTempDir, startCircusd, writeConfig } from "./helpers/circusd.js";
import { connect } from "./helpers/control.js";
import { listSockets } from "./helpers/sockets.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** Runs circusd on `text` and expects it to refuse in one line matching `line`. */
async function refuses(dir: string, text: string, line: RegExp): Promise<void> {
  const d = startCircusd(text, { dir });
  const status = await d.waitExit();
  assert.equal(status.code, 1, `exit code; log:\n${d.log}\nstderr:\n${d.stderr}`);
  const lines = d.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line, got:\n${d.stderr}`);
  assert.match(lines[0] as string, line);
}

/** A sleeper watcher; its env carries the test folder so that cleanup finds it. */
const watcher = (dir: string, options = "use_sockets = true") =>
  `[watcher:w]\ncmd = /bin/sleep 1000\n${options}\n\n[env:w]\nMARK = ${dir}\n`;

describe("sockets that cannot be bound", () => {
  test("a port in use; the socket bound before it is closed and its file removed", async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as net.AddressInfo).port;
    const dir = makeTempDir();
    try {
      await refuses(
        dir,
        `[socket:first]\npath = ${dir}/first.sock\n\n[socket:web]\nhost = 127.0.0.1\nport = ${port}\n\n${watcher(dir)}`,
        /\[socket:web\] port: .*address already in use/i,
      );
      assert.equal(existsSync(`${dir}/first.sock`), false, "nothing half-bound stays");
    } finally {
      busy.close();
    }
  });

  test("a unix path in a missing folder", async () => {
    const dir = makeTempDir();
    await refuses(
      dir,
      `[socket:u]\npath = ${dir}/missing/u.sock\n\n${watcher(dir)}`,
      /\[socket:u\] path: .*missing\/u\.sock.*no such file or directory/i,
    );
  });

  test("an existing unix file without replace is named; with replace it is replaced", async () => {
    const dir = makeTempDir();
    writeFileSync(`${dir}/u.sock`, "");
    await refuses(
      dir,
      `[socket:u]\npath = ${dir}/u.sock\n\n${watcher(dir)}`,
      new RegExp(`\\[socket:u\\] path: ${dir}/u\\.sock already exists`),
    );
    assert.ok(existsSync(`${dir}/u.sock`), "the file is left alone");
    const d = startCircusd(`[socket:u]\npath = ${dir}/u.sock\nreplace = true\n\n${watcher(dir)}`, {
      dir,
    });
    await d.waitForChildren(1, { message: () => `one child; log:\n${d.log}\n${d.stderr}` });
    assert.equal((await d.stop()).code, 0);
    assert.equal(existsSync(`${dir}/u.sock`), false);
  });

  test("a watcher naming an unknown socket", async () => {
    const dir = makeTempDir();
    await refuses(
      dir,
      `[socket:web]\nhost = 127.0.0.1\nport = 0\n\n[watcher:w]\ncmd = /bin/sleep $(circus.sockets.nope)\nuse_sockets = true\n`,
      /\[watcher:w\] cmd: no \[socket:nope\] section/,
    );
    await refuses(
      dir,
      `[socket:web]\nhost = 127.0.0.1\nport = 0\n\n${watcher(dir, "stdin_socket = other")}`,
      /\[watcher:w\] stdin_socket: no \[socket:other\] section/,
    );
  });

  test("an interface that does not exist", async () => {
    const dir = makeTempDir();
    await refuses(
      dir,
      `[socket:web]\nhost = 127.0.0.1\nport = 0\ninterface = nosuchif0\n\n${watcher(dir)}`,
      /\[socket:web\] interface: .*no such device/i,
    );
  });

  test("reloadconfig changing a socket, or adding one that cannot bind, gets an error reply", async () => {
    const dir = makeTempDir();
    const d = startCircusd(`[socket:a]\nhost = 127.0.0.1\nport = 0\n\n${watcher(dir)}`, { dir });
    const client = await connect(d);
    writeConfig(dir, `[socket:a]\nhost = 127.0.0.1\nport = 0\nbacklog = 5\n\n${watcher(dir)}`);
    const changed = await client.call("reloadconfig");
    assert.equal(changed.status, "error");
    assert.match(String(changed.reason), /changing \[socket:a\] at run time is not supported yet/);
    writeConfig(
      dir,
      `[socket:a]\nhost = 127.0.0.1\nport = 0\n\n[socket:b]\npath = ${dir}/b.sock\n\n` +
        `[socket:c]\npath = ${dir}/missing/c.sock\n\n${watcher(dir)}`,
    );
    const failed = await client.call("reloadconfig", { waiting: true });
    assert.equal(failed.status, "error");
    assert.match(String(failed.reason), /\[socket:c\] path/);
    assert.deepEqual([...(await listSockets(client)).keys()], ["a"]);
    assert.equal(existsSync(`${dir}/b.sock`), false, "nothing half-bound");
    assert.equal((await d.stop()).code, 0);
  });

  test("on_demand on a so_reuseport socket is refused as not supported yet", async () => {
    const dir = makeTempDir();
    await refuses(
      dir,
      `[socket:web]\nhost = 127.0.0.1\nport = 0\nso_reuseport = true\n\n` +
        `[watcher:w]\ncmd = /bin/sleep $(circus.sockets.web)\nuse_sockets = true\non_demand = true\n`,
      /\[watcher:w\] on_demand: on_demand with the so_reuseport socket web is not supported yet/,
    );
  });
});
