/** stats, dstats and listsockets. */
import type { Scenario } from "../scenario.js";

export const STATS: Scenario[] = [
  {
    name: "stats",
    description: "stats of every watcher, one watcher, one process (with children); dstats",
    config: `
[watcher:web]
cmd = sleep 1000
numprocesses = 2

[watcher:fam]
cmd = sh -c "sleep 1000 & sleep 1001 & wait"

[watcher:off]
cmd = sleep 1002
autostart = false
`,
    steps: [
      { call: "stats" },
      { call: "stats", props: { name: "web" } },
      { call: "list", props: { name: "fam" }, save: { pid: "pids.0" } },
      { call: "stats", props: { name: "fam", process: "$pid" } },
      { call: "stats", props: { name: "fam", process: "$pid", extended: true } },
      { call: "stats", props: { name: "off" } },
      { call: "dstats" },
      { call: "status" },
    ],
  },
  {
    name: "listsockets",
    description: "listsockets with a TCP and a unix socket",
    config: `
[socket:web]
host = 127.0.0.1
port = {port}

[socket:local]
path = {tmp}/local.sock

[watcher:web]
cmd = sleep 1000
use_sockets = true
`,
    steps: [{ call: "listsockets" }, { call: "options", props: { name: "web" } }],
  },
  {
    name: "statsd",
    description:
      "statsd = true: circusd-stats as a watcher; one round of its stream (processes, " +
      "aggregates, circus itself, sockets), then again after a decr",
    circus: "statsd = true\nstats_endpoint = ipc://{tmp}/stats.sock",
    config: `
[socket:web]
host = 127.0.0.1
port = {port}

[watcher:web]
cmd = sleep 1000
numprocesses = 2
use_sockets = true

[watcher:solo]
cmd = sleep 1001
`,
    steps: [
      { call: "list" },
      { call: "list", props: { name: "web" } },
      { call: "list", props: { name: "solo" } },
      { call: "status" },
      { stats: 3500 },
      { call: "decr", props: { name: "web" } },
      { stats: 3500 },
    ],
  },
];
