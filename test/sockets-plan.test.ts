/** Unit tests of what a config reload does to the sockets, and who uses a so_reuseport one. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SOCKET_DEFAULTS, WATCHER_DEFAULTS } from "../src/config/defaults.js";
import { planSockets } from "../src/core/socket-plan.js";
import { socketFds, usesSocket } from "../src/core/watcher-setup.js";

const socket = (name: string, extra = {}) => ({ ...SOCKET_DEFAULTS, name, ...extra });

test("planSockets: added, removed and changed sockets by name, sources ignored", () => {
  const plan = planSockets(
    [socket("a"), socket("Old"), socket("c", { backlog: 5 })],
    [socket("A", { source: { file: "x.ini", section: "socket:A" } }), socket("b"), socket("c")],
  );
  // A name differing in case only is the same socket; its source does not count.
  assert.deepEqual(
    plan.added.map((s) => s.name),
    ["b"],
  );
  assert.deepEqual(plan.removed, ["old"]);
  assert.deepEqual(plan.changed, ["c"]);
});

test("usesSocket and socketFds: a sibling takes the shared socket's number", () => {
  const w = {
    ...WATCHER_DEFAULTS,
    name: "w",
    cmd: "worker --fd $(circus.sockets.Web)",
    useSockets: true,
  };
  assert.equal(usesSocket(w, "web"), true);
  assert.equal(usesSocket(w, "other"), false);
  assert.equal(usesSocket({ ...w, useSockets: false }, "web"), false);
  assert.deepEqual(socketFds(w, { web: 7, other: 8 }, { web: 20 }), [
    [7, 20],
    [8, 8],
  ]);
});
