/** start, stop, restart and reload: replies with and without waiting, and their events. */
import type { Scenario } from "../scenario.js";

/** A process that ignores SIGTERM, so that a stop must escalate to SIGKILL. */
const DEAF = `sh -c "trap '' TERM; exec sleep 1000"`;

export const LIFECYCLE: Scenario[] = [
  {
    name: "start-stop",
    description: "stop and start one watcher, waiting or not; the watcher name's capitals",
    config: `
[watcher:Alpha]
cmd = sleep 1000
graceful_timeout = 3

[watcher:beta]
cmd = sleep 1001
`,
    steps: [
      { call: "stop", props: { name: "alpha" } },
      { call: "status", props: { name: "alpha" } },
      { call: "start", props: { name: "alpha" } },
      { call: "status", props: { name: "alpha" } },
      { call: "stop", props: { name: "Alpha", waiting: true } },
      { call: "stop", props: { name: "alpha", waiting: true } },
      { call: "start", props: { name: "alpha", waiting: true } },
      { call: "start", props: { name: "alpha", waiting: true } },
      { call: "start", props: { name: "alpha" } },
      { call: "restart", props: { name: "alpha", waiting: true } },
      { call: "restart", props: { name: "alpha" } },
      { call: "list", props: { name: "alpha" } },
    ],
  },
  {
    name: "start-stop-many",
    description: "start, stop and restart by glob, regex and simple match, and of every watcher",
    config: `
[watcher:web1]
cmd = sleep 1000
priority = 1

[watcher:web2]
cmd = sleep 1001
priority = 2

[watcher:db]
cmd = sleep 1002
`,
    steps: [
      { call: "stop", props: { name: "web*", waiting: true }, events: "unordered" },
      { call: "status" },
      { call: "start", props: { name: "web[12]", waiting: true }, events: "unordered" },
      { call: "stop", props: { name: "^web", match: "regex", waiting: true }, events: "unordered" },
      { call: "start", props: { name: "web.*", match: "regex" }, events: "unordered" },
      { call: "stop", props: { name: "web1", match: "simple", waiting: true } },
      { call: "stop", props: { name: "web*", match: "simple" } },
      { call: "start", props: { name: "web1", match: "nope" } },
      { call: "start", props: { name: "nothing*" } },
      { call: "start", props: { name: "[" }, tag: "bad-pattern" },
      { call: "stop", props: { waiting: true }, events: "unordered" },
      { call: "status" },
      { call: "start", props: { waiting: true }, events: "unordered" },
      // The reference restarts its whole arbiter here and binds its pub/sub endpoint again:
      // whether a subscriber sees the new processes' events is down to timing.
      { call: "restart", props: { waiting: true }, events: "ignore" },
      { call: "restart", props: { name: "web*", waiting: true }, events: "unordered" },
      { call: "stop", events: "unordered" },
      { call: "start", events: "unordered" },
      { call: "status" },
      { call: "set", props: { name: "web1", options: { numprocesses: 2 }, waiting: true } },
      { call: "restart", props: { waiting: true }, events: "ignore" },
      { call: "numprocesses", props: { name: "web1" }, tag: "restart-all" },
    ],
  },
  {
    name: "stop-escalates",
    description: "a process that ignores SIGTERM is killed with SIGKILL after graceful_timeout",
    config: `
[watcher:deaf]
cmd = ${DEAF}
graceful_timeout = 1
`,
    steps: [
      { call: "list", props: { name: "deaf" } },
      { call: "stop", props: { name: "deaf", waiting: true }, quiet: 1500 },
      { call: "start", props: { name: "deaf", waiting: true } },
      { call: "list", props: { name: "deaf" } },
      { call: "stop", props: { name: "deaf" }, quiet: 2000 },
      { call: "status", props: { name: "deaf" } },
    ],
  },
  {
    name: "reload",
    description: "reload graceful, sequential and not graceful, of one watcher and of all",
    config: `
[watcher:web]
cmd = sleep 1000
numprocesses = 2

[watcher:hup]
cmd = sh -c "trap '' HUP; exec sleep 1001"
send_hup = true
`,
    steps: [
      { call: "list", props: { name: "web" } },
      { call: "reload", props: { name: "web", waiting: true }, events: "unordered" },
      { call: "list", props: { name: "web" } },
      { call: "reload", props: { name: "web", sequential: true, waiting: true } },
      {
        call: "reload",
        props: { name: "web", graceful: false, waiting: true },
        events: "unordered",
      },
      { call: "reload", props: { name: "web" }, events: "unordered" },
      { call: "list", props: { name: "hup" } },
      { call: "reload", props: { name: "hup", waiting: true } },
      { call: "list", props: { name: "hup" } },
      { call: "reload", props: { waiting: true }, events: "unordered" },
      { call: "reload", props: { graceful: false, waiting: true }, events: "unordered" },
      { call: "stop", props: { name: "web", waiting: true }, events: "unordered" },
      { call: "reload", props: { name: "web", waiting: true }, events: "unordered" },
      { call: "reload", props: { name: "nope" } },
      { call: "reload", props: { name: "web", graceful: "no" }, tag: "wrong-type" },
    ],
  },
];

LIFECYCLE.push({
  name: "stop-children",
  description: "stop_children: a kill event for the process and each child; SIGKILL to all",
  config: `
[watcher:fam]
cmd = sh -c "sleep 1000 & sleep 1001 & wait"
stop_children = true
graceful_timeout = 2

[watcher:deaffam]
cmd = sh -c "trap '' TERM; sleep 1002 & exec sleep 1003"
graceful_timeout = 1
`,
  steps: [
    { call: "list", props: { name: "fam" }, save: { pid: "pids.0" } },
    { call: "stats", props: { name: "fam", process: "$pid" } },
    { call: "stop", props: { name: "fam", waiting: true }, events: "unordered" },
    { call: "list", props: { name: "deaffam" }, save: { deaf: "pids.0" } },
    { call: "stats", props: { name: "deaffam", process: "$deaf" } },
    { call: "stop", props: { name: "deaffam", waiting: true }, events: "unordered", quiet: 1500 },
  ],
});
