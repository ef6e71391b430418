/** reloadconfig: a changed file adds, removes and changes watchers. */
import type { Scenario } from "../scenario.js";

const BEFORE = `
[watcher:keep]
cmd = sleep 1000

[watcher:change]
cmd = sleep 1001

[watcher:resize]
cmd = sleep 1002

[watcher:gone]
cmd = sleep 1003
`;

const AFTER = `[circus]
endpoint = ipc://{tmp}/control.sock
pubsub_endpoint = ipc://{tmp}/pubsub.sock

[watcher:keep]
cmd = sleep 1000

[watcher:change]
cmd = sleep 1011

[watcher:resize]
cmd = sleep 1002
numprocesses = 2

[watcher:new]
cmd = sleep 1004
`;

export const RELOADCONFIG: Scenario[] = [
  {
    name: "reloadconfig",
    description: "reloadconfig after the file changed; then with the same file again",
    config: BEFORE,
    steps: [
      { call: "list" },
      { write: "circus.ini", text: AFTER },
      { call: "reloadconfig", props: { waiting: true }, events: "unordered", quiet: 1500 },
      { call: "list" },
      { call: "status" },
      { call: "numprocesses", props: { name: "resize" } },
      { call: "reloadconfig", props: { waiting: true }, events: "unordered", quiet: 1500 },
      { call: "reloadconfig", events: "unordered", quiet: 1500 },
      { call: "list" },
    ],
  },
];
