/** Processes: incr/decr, kill, signal, deaths from outside, exit codes. */
import { CHECK, type Scenario } from "../scenario.js";

/** A process with two children, which the signal and stats scenarios look at. */
const FAMILY = `sh -c "sleep 1000 & sleep 1001 & wait"`;

/** A process that exits with 3 once the file `go` appears (and removes it). */
const EXITER = `sh -c "while [ ! -e {tmp}/go ]; do sleep 0.05; done; rm -f {tmp}/go; exit 3"`;

export const PROCESSES: Scenario[] = [
  {
    name: "incr-decr",
    description: "incr and decr, waiting or not, by one and by nb; a singleton; bad properties",
    config: `
[watcher:web]
cmd = sleep 1000

[watcher:one]
cmd = sleep 1001
singleton = true
`,
    steps: [
      { call: "incr", props: { name: "web" } },
      { call: "numprocesses", props: { name: "web" } },
      { call: "incr", props: { name: "web", waiting: true } },
      { call: "incr", props: { name: "web", nb: 2, waiting: true }, events: "unordered" },
      { call: "decr", props: { name: "web", waiting: true } },
      { call: "decr", props: { name: "web", nb: 2 }, events: "unordered" },
      { call: "numprocesses", props: { name: "web" } },
      { call: "decr", props: { name: "web", nb: 5, waiting: true }, events: "unordered" },
      { call: "numprocesses", props: { name: "web" } },
      { call: "status", props: { name: "web" } },
      { call: "incr", props: { name: "web", waiting: true } },
      { call: "incr", props: { name: "one" } },
      { call: "incr", props: { name: "one", waiting: true } },
      { call: "decr", props: { name: "one", waiting: true } },
      { call: "numprocesses", props: { name: "one" } },
      { call: "incr", props: { name: "nope" } },
      { call: "incr", props: {} },
      { call: "decr", props: {} },
      { call: "incr", props: { name: "web", nb: "2", waiting: true }, tag: "wrong-type" },
      { call: "incr", props: { name: "web", nb: 0, waiting: true } },
      { call: "decr", props: { name: "web", nb: -1, waiting: true } },
      { call: "numprocesses", props: { name: "web" } },
    ],
  },
  {
    name: "kill",
    description: "kill all processes or one, with signum and graceful_timeout; bad properties",
    config: `
[watcher:web]
cmd = sleep 1000
numprocesses = 2

[watcher:deaf]
cmd = sh -c "trap '' TERM; exec sleep 1000"
graceful_timeout = 5
`,
    steps: [
      { call: "list", props: { name: "web" }, save: { pid: "pids.0" } },
      { call: "kill", props: { name: "web", pid: "$pid" }, quiet: CHECK },
      { call: "list", props: { name: "web" }, save: { pid: "pids.0" } },
      {
        call: "kill",
        props: { name: "web", pid: "$pid", signum: "KILL", waiting: true },
        quiet: CHECK,
      },
      { call: "kill", props: { name: "web" }, events: "unordered", quiet: CHECK },
      { call: "list", props: { name: "web" }, save: { pid: "pids.0" } },
      { call: "kill", props: { name: "web", pid: 1 }, tag: "pid-not-found" },
      { call: "kill", props: { name: "web", signum: "NOPE" } },
      { call: "kill", props: { name: "nope" }, tag: "refused-not-ok" },
      { call: "kill", props: {} },
      { call: "list", props: { name: "deaf" } },
      { call: "kill", props: { name: "deaf", graceful_timeout: 0.5, waiting: true }, quiet: CHECK },
      { call: "list", props: { name: "deaf" } },
      { call: "kill", props: { name: "deaf", signum: 9 }, quiet: CHECK },
      { call: "list", props: { name: "web" }, save: { pid: "pids.0" } },
      { call: "kill", props: { name: "web", pid: "$pid", signum: "sigint" }, quiet: CHECK },
    ],
  },
  {
    name: "signal",
    description: "signal by number and by name, to a process, its children, recursively",
    config: `
[watcher:fam]
cmd = ${FAMILY}

[watcher:web]
cmd = sleep 1000
numprocesses = 2
`,
    steps: [
      { call: "list", props: { name: "fam" }, save: { pid: "pids.0" } },
      {
        call: "stats",
        props: { name: "fam", process: "$pid" },
        save: { child: "info.children.0.pid" },
      },
      { call: "signal", props: { name: "fam", signum: 28 } },
      { call: "signal", props: { name: "fam", signum: "WINCH" } },
      { call: "signal", props: { name: "fam", signum: "SIGWINCH" } },
      { call: "signal", props: { name: "fam", signum: "winch" } },
      { call: "signal", props: { name: "fam", signum: "sigwinch" } },
      { call: "signal", props: { name: "fam", signum: "28" } },
      { call: "signal", props: { name: "fam", pid: "$pid", signum: "WINCH", children: true } },
      { call: "signal", props: { name: "fam", pid: "$pid", childpid: "$child", signum: "TERM" } },
      { call: "stats", props: { name: "fam", process: "$pid" } },
      {
        call: "signal",
        props: { name: "fam", pid: "$pid", signum: "TERM", children: true },
        quiet: CHECK,
      },
      { call: "list", props: { name: "fam" }, save: { pid: "pids.0" } },
      { call: "signal", props: { name: "fam", signum: "TERM", recursive: true }, quiet: CHECK },
      { call: "list", props: { name: "fam" } },
      { call: "list", props: { name: "web" }, save: { web: "pids.0" } },
      { call: "signal", props: { name: "web", pid: "$web", signum: 15 }, quiet: CHECK },
      { call: "signal", props: { name: "web", signum: "USR1" }, events: "unordered", quiet: CHECK },
      { call: "signal", props: { name: "web" } },
      { call: "signal", props: { name: "web", signum: "NOPE" } },
      { call: "signal", props: { name: "web", signum: 0 } },
      { call: "signal", props: { name: "web", childpid: 1, signum: 15 } },
      { call: "signal", props: { name: "nope", signum: 15 } },
      { call: "signal", props: { name: "web", pid: 1, signum: 15 }, tag: "pid-not-found" },
      { call: "signal", props: { signum: 15 } },
    ],
  },
  {
    name: "deaths",
    description: "a process killed from outside, and one that exits with a code, are respawned",
    config: `
[watcher:web]
cmd = sleep 1000

[watcher:exiter]
cmd = ${EXITER}
`,
    steps: [
      { call: "list", props: { name: "web" }, save: { pid: "pids.0" } },
      { kill: "$pid", signal: "SIGKILL", quiet: CHECK },
      { call: "list", props: { name: "web" }, save: { pid: "pids.0" } },
      { kill: "$pid", signal: "SIGTERM", quiet: CHECK },
      { call: "list", props: { name: "exiter" } },
      { write: "go", text: "", quiet: CHECK },
      { call: "list", props: { name: "exiter" } },
      { call: "status" },
    ],
  },
  {
    name: "no-respawn",
    description: "respawn = false: a dead process stays dead",
    config: `
[watcher:once]
cmd = sleep 1000
respawn = false
numprocesses = 2
`,
    steps: [
      { call: "list", props: { name: "once" }, save: { pid: "pids.0" } },
      { kill: "$pid", signal: "SIGKILL", quiet: CHECK },
      { call: "list", props: { name: "once" } },
      { call: "numprocesses", props: { name: "once" } },
      { call: "status", props: { name: "once" } },
      { call: "incr", props: { name: "once", waiting: true } },
      { call: "list", props: { name: "once" } },
    ],
  },
];
