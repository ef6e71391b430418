/** Read-only commands, with good and bad properties. */
import type { Scenario } from "../scenario.js";

const TWO_WATCHERS = `
[watcher:Web]
cmd = sleep 1000
numprocesses = 2
graceful_timeout = 2

[watcher:worker]
cmd = sleep 1001
warmup_delay = 0
`;

export const READ: Scenario[] = [
  {
    name: "read-commands",
    description: "list, status, numwatchers, numprocesses, options, get, globaloptions",
    config: TWO_WATCHERS,
    steps: [
      { call: "list" },
      { call: "list", props: { name: "web" }, save: { pid: "pids.0" } },
      { call: "list", props: { name: "Web" } },
      { call: "status" },
      { call: "status", props: { name: "web" } },
      { call: "status", props: { name: "WORKER" } },
      { call: "numwatchers" },
      { call: "numprocesses" },
      { call: "numprocesses", props: { name: "web" } },
      { call: "options", props: { name: "web" } },
      { call: "options", props: { name: "worker" } },
      { call: "get", props: { name: "web", keys: ["numprocesses", "graceful_timeout", "cmd"] } },
      {
        call: "get",
        props: { name: "worker", keys: ["warmup_delay", "env", "uid", "stop_signal"] },
      },
      { call: "globaloptions" },
      { call: "globaloptions", props: { option: "check_delay" } },
      { call: "LIST" },
    ],
  },
];

READ.push({
  name: "read-errors",
  description: "read commands with missing, mistyped, unknown or bad properties",
  config: TWO_WATCHERS,
  steps: [
    { call: "list", props: { name: "nope" } },
    { call: "list", props: { name: 12 }, tag: "wrong-type" },
    { call: "status", props: { name: "nope" } },
    { call: "numprocesses", props: { name: "nope" } },
    { call: "options" },
    { call: "options", props: { name: "nope" } },
    { call: "options", props: { name: ["web"] }, tag: "wrong-type" },
    { call: "get", props: { name: "web" } },
    { call: "get", props: { keys: ["cmd"] } },
    { call: "get", props: { name: "nope", keys: ["cmd"] } },
    { call: "get", props: { name: "web", keys: ["nope"] } },
    { call: "get", props: { name: "web", keys: ["cmd", "nope"] } },
    { call: "get", props: { name: "web", keys: "cmd" }, tag: "wrong-type" },
    { call: "get", props: { name: "web", keys: [] } },
    { call: "globaloptions", props: { option: "nope" } },
    { call: "globaloptions", props: { option: 3 }, tag: "wrong-type" },
    { call: "globaloptions", props: { option: "" } },
    { call: "stats", props: { name: "nope" } },
    { call: "stats", props: { name: "web", process: 1 } },
    { call: "stats", props: { name: "web", process: "12" } },
    { call: "stats", props: { process: 1 } },
    { call: "numwatchers", props: { name: "web" } },
    { call: "listsockets", props: { name: "web" } },
    { call: "dstats", props: { name: "web" } },
  ],
});

READ.push({
  name: "options-values",
  description: "options and get of a watcher with streams, hooks, rlimits, env and extra keys",
  config: `
[env:full]
GREETING = hello

[watcher:full]
cmd = sleep
args = 1000
shell = false
working_dir = {tmp}
uid = root
gid = 0
warmup_delay = 1
stop_signal = INT
stop_children = true
max_retry = 3
graceful_timeout = 4
priority = 2
max_age = 3600
max_age_variance = 5
copy_env = false
close_child_stdin = false
close_child_stderr = true
send_hup = true
respawn = true
singleton = true
stdout_stream.class = FileStream
stdout_stream.filename = {tmp}/out.log
stdout_stream.max_bytes = 1000
stdout_stream.backup_count = 2
stderr_stream.class = StdoutStream
hooks.before_start = {hooks:ok}
rlimit_nofile = 1024
flapping.max_retry = 3
custom = value
`,
  steps: [
    { call: "options", props: { name: "full" }, tag: "hook-names" },
    { call: "get", props: { name: "full", keys: ["stdout_stream_conf", "env", "custom", "args"] } },
    { call: "get", props: { name: "full", keys: ["hooks"] } },
    { call: "get", props: { name: "full", keys: ["rlimit_nofile"] } },
    { call: "get", props: { name: "full", keys: ["stdout_stream"] } },
    { call: "get", props: { name: "full", keys: ["__name__"] } },
  ],
});
