/**
 * Sockets at run time: reloadconfig (and SIGHUP) binds a new [socket:X] and starts the
 * watchers that use it, and closes a socket no watcher uses any more.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { startCircusd, waitFor, writeConfig } from "./helpers/circusd.js";
import { connect } from "./helpers/control.js";
import { get, httpWatcher, listSockets, tcpSocket } from "./helpers/sockets.js";
import { cleanupEachTest } from "./helpers/cleanup.js";

cleanupEachTest();

/** A 2-process HTTP watcher on socket `socket`. */
const web = (dir: string, name: string, socket: string) =>
  httpWatcher(dir, name, socket, { numprocesses: 2, graceful_timeout: 2 }) + "\n";

describe("sockets added and removed by a config reload", () => {
  for (const how of ["reloadconfig", "SIGHUP"] as const) {
    test(`${how}: a new socket is bound and served, an unused one closed`, async () => {
      const d = startCircusd(
        (dir) => `${tcpSocket("a")}[socket:old]\npath = ${dir}/old.sock\n\n${web(dir, "wa", "a")}`,
      );
      const dir = d.dir;
      const client = await connect(d);
      // The control endpoint answers before the sockets are bound (as in Circus): wait for them.
      await waitFor(async () => (await listSockets(client)).has("old") || null);
      assert.ok(existsSync(`${dir}/old.sock`));
      writeConfig(
        dir,
        `${tcpSocket("a")}${tcpSocket("b")}${web(dir, "wa", "a")}${web(dir, "wb", "b")}`,
      );
      if (how === "SIGHUP") d.child.kill("SIGHUP");
      else assert.equal((await client.call("reloadconfig", { waiting: true })).status, "ok");

      const sockets = await waitFor(async () => {
        const found = await listSockets(client);
        return found.has("b") && !found.has("old") ? found : null;
      });
      assert.equal(existsSync(`${dir}/old.sock`), false, "the removed socket's file is gone");
      const wb = await waitFor(async () => {
        const pids = (await client.call("list", { name: "wb" })).pids as number[];
        return pids.length === 2 ? pids : null;
      });
      const answer = await get({ host: "127.0.0.1", port: sockets.get("b")?.port as number });
      assert.ok(wb.map(String).includes(answer), `${answer} is a wb process`);
      const still = await get({ host: "127.0.0.1", port: sockets.get("a")?.port as number });
      assert.match(still, /^\d+$/);
      assert.equal((await d.stop()).code, 0);
    });
  }
});
