import type { Command } from "../command.js";
import { formatOption, watcherOptions } from "../watcher-options.js";
import { checkArgs, checkTypes, consoleError, getWatcher, requireProps } from "./util.js";

/** How circusctl prints an `options` mapping: `key: value` lines. */
export function optionLines(options: unknown): string {
  return Object.entries((options ?? {}) as Record<string, unknown>)
    .map(([key, value]) => `${key}: ${formatOption(key, value)}`)
    .join("\n");
}

/** `options NAME`: every option of a watcher. */
export const options: Command = {
  name: "options",
  summary: "Get the value of all options for a watcher",
  help: `Get the value of all options for a watcher

ZMQ Message:
    {"command": "options", "properties": {"name": "nameofwatcher"}}

The response object has a property "options" which is a dictionary of option names and
values, e.g. {"status": "ok", "options": {"graceful_timeout": 300, "send_hup": true, ...}}

Command line:
    $ circusctl options <name>

Options keys are: numprocesses, warmup_delay, working_dir, uid, gid, send_hup, stop_signal,
stop_children, shell, shell_args, env, max_retry, cmd, args, respawn, graceful_timeout,
executable, use_sockets, priority, copy_env, singleton, on_demand, max_age,
max_age_variance, close_child_stdin, close_child_stdout, close_child_stderr, use_papa,
stdout_stream, stderr_stream, hooks and rlimit_*.`,
  mutating: false,
  watcherArgs: [0],
  validate(props) {
    requireProps(props, ["name"]);
    checkTypes(props, { name: "string" });
  },
  execute: (arbiter, props) => ({
    options: watcherOptions(getWatcher(arbiter, props.name).config),
  }),
  message(line) {
    checkArgs(line, 1, 1);
    return { name: line.args[0] };
  },
  consoleOutput: (reply) =>
    reply.status === "ok" ? optionLines(reply.options) : consoleError(reply),
};
