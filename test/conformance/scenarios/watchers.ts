/** Watchers at run time: add, rm, set, and the hooks' events. */
import type { Scenario } from "../scenario.js";

export const WATCHERS: Scenario[] = [
  {
    name: "add-rm",
    description: "add a watcher, started or not, with args and options; remove it; bad properties",
    config: `
[watcher:base]
cmd = sleep 1000
`,
    steps: [
      { call: "add", props: { name: "Later", cmd: "sleep 1001" } },
      { call: "status", props: { name: "later" } },
      { call: "list" },
      { call: "options", props: { name: "later" } },
      { call: "start", props: { name: "later", waiting: true } },
      { call: "add", props: { name: "now", cmd: "sleep", args: ["1002"], start: true } },
      { call: "add", props: { name: "wait", cmd: "sleep 1003", start: true, waiting: true } },
      {
        call: "add",
        props: {
          name: "opts",
          cmd: "sleep 1004",
          options: { numprocesses: 2, graceful_timeout: 1, env: { A: "b" }, warmup_delay: 0 },
          start: true,
          waiting: true,
        },
        events: "unordered",
      },
      { call: "options", props: { name: "opts" } },
      { call: "add", props: { name: "base", cmd: "sleep 1" } },
      { call: "add", props: { name: "x" } },
      { call: "add", props: { cmd: "sleep 1" } },
      { call: "add", props: { name: "bad", cmd: "sleep 1", options: { nope: 1 } } },
      { call: "add", props: { name: "bad", cmd: "sleep 1", options: "nope" } },
      { call: "add", props: { name: "bad", cmd: "sleep 1", options: { numprocesses: "2" } } },
      { call: "add", props: { name: "bad", cmd: "sleep 1", options: { use_papa: true } } },
      { call: "list" },
      { call: "rm", props: { name: "later" } },
      { call: "rm", props: { name: "now", waiting: true } },
      { call: "list", props: { name: "wait" }, save: { pid: "pids.0" } },
      { call: "rm", props: { name: "wait", nostop: true, waiting: true } },
      { call: "list" },
      { call: "rm", props: { name: "nope" } },
      { call: "rm", props: {} },
      { call: "rm", props: { name: "opts", waiting: true }, events: "unordered" },
      { call: "numwatchers" },
      // The reference cannot take an rlimit through add (it fails on the integer): last.
      { call: "add", props: { name: "lim", cmd: "sleep 1", options: { rlimit_nofile: 1024 } } },
    ],
  },
  {
    name: "set",
    description: "set options that resize, reload or only update; read them back; bad properties",
    config: `
[watcher:web]
cmd = sleep 1000
`,
    steps: [
      { call: "set", props: { name: "web", options: { numprocesses: 2 } } },
      { call: "get", props: { name: "web", keys: ["numprocesses"] } },
      { call: "set", props: { name: "web", options: { numprocesses: 1 }, waiting: true } },
      { call: "set", props: { name: "web", options: { graceful_timeout: 1.5 }, waiting: true } },
      { call: "set", props: { name: "web", options: { warmup_delay: 0 }, waiting: true } },
      { call: "get", props: { name: "web", keys: ["graceful_timeout", "warmup_delay"] } },
      { call: "set", props: { name: "web", options: { env: { A: "1" } }, waiting: true } },
      {
        call: "set",
        props: { name: "web", options: { stop_signal: 2, max_age: 100 }, waiting: true },
        events: "unordered",
      },
      { call: "set", props: { name: "web", options: { cmd: "sleep 1001" } } },
      { call: "options", props: { name: "web" } },
      { call: "set", props: { name: "web", options: { nope: 1 } } },
      { call: "set", props: { name: "web", options: { numprocesses: "2" } } },
      { call: "set", props: { name: "web", options: { send_hup: "yes" } } },
      { call: "set", props: { name: "web", options: { graceful_timeout: "1" } } },
      { call: "set", props: { name: "web", options: { env: { A: 1 } } } },
      { call: "set", props: { name: "web", options: { hooks: { nope: "x" } } } },
      { call: "set", props: { name: "web", options: { stdout_stream: { filename: "x" } } } },
      { call: "set", props: { name: "web", options: { rlimit_nope: 1 } } },
      { call: "set", props: { name: "web", options: { rlimit_nofile: "1" } } },
      { call: "set", props: { name: "web", options: { use_papa: true } } },
      { call: "set", props: { name: "web", options: { priority: 3 } } },
      { call: "set", props: { name: "web", options: "nope" } },
      { call: "set", props: { name: "web" } },
      { call: "set", props: { options: {} } },
      { call: "set", props: { name: "nope", options: {} } },
      { call: "set", props: { name: "web", options: {} } },
    ],
  },
  {
    name: "hooks",
    description: "hook_success and hook_failure events around start, stop, spawn and reap",
    config: `
[watcher:hooked]
cmd = sleep 1000
hooks.before_start = {hooks:ok}
hooks.after_start = {hooks:ok}
hooks.before_spawn = {hooks:ok}
hooks.after_spawn = {hooks:ok}
hooks.before_stop = {hooks:fail}
hooks.after_stop = {hooks:ok}
hooks.before_reap = {hooks:ok}
hooks.after_reap = {hooks:ok}
hooks.before_signal = {hooks:ok}
hooks.after_signal = {hooks:ok}
hooks.extended_stats = {hooks:extended}

[watcher:refused]
cmd = sleep 1001
autostart = false
hooks.before_start = {hooks:refuse}
`,
    steps: [
      { call: "stop", props: { name: "hooked", waiting: true } },
      { call: "start", props: { name: "hooked", waiting: true } },
      { call: "list", props: { name: "hooked" }, save: { pid: "pids.0" } },
      { call: "signal", props: { name: "hooked", signum: "WINCH" } },
      { call: "stats", props: { name: "hooked", extended: true } },
      { call: "stats", props: { name: "hooked", process: "$pid", extended: true } },
      { call: "stats", props: { name: "hooked" } },
      { call: "start", props: { name: "refused", waiting: true } },
      { call: "status", props: { name: "refused" } },
    ],
  },
];
