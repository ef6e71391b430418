import { watcherConfig } from "../../config/watcher.js";
import type { WatcherConfig } from "../../config/types.js";
import type { Watcher } from "../../core/watcher.js";
import type { ChangeCommand } from "../command.js";
import { ArgumentError } from "../protocol.js";
import { applyOptions, convertOption, validateOptions } from "../watcher-options.js";
import { checkTypes, getWatcher, okOutput, requireProps, WAITING } from "./util.js";

/**
 * Lays wire options over a config and checks the result as the loader would (a ConfigError,
 * which the controller answers as a message error).
 */
export function buildConfig(
  base: WatcherConfig,
  options: Record<string, unknown>,
): { config: WatcherConfig; restart: boolean } {
  const { config, restart } = applyOptions(base, options);
  return { config: watcherConfig(config), restart };
}

/** `set NAME KEY VALUE [KEY VALUE...] [--waiting]`. */
export const set: ChangeCommand<Watcher> = {
  name: "set",
  summary: "Set a watcher option",
  help: `Set a watcher option

ZMQ Message:
    {
        "command": "set",
        "properties": {"name": "nameofwatcher", "options": {"key1": "val1", ..}, "waiting": false}
    }

The response returns the status "ok". See the command options for a list of keys to set.
Setting numprocesses changes the number of running processes; hooks (hooks.NAME or
hooks = "name:module:export,...") apply to the next hook run; stream options
(stdout_stream.filename, ...) switch the running processes' output to the new stream; any
other option replaces the running processes with new ones gracefully.

Command line:
    $ circusctl set <name> <key1> <value1> <key2> <value2> [--waiting]`,
  mutating: true,
  options: [WAITING],
  watcherArgs: [0],
  validate(props) {
    requireProps(props, ["name", "options"]);
    checkTypes(props, { name: "string", waiting: "boolean" });
    validateOptions(props.options);
  },
  // The options are checked against the config as it is now; they are laid over the config
  // as it is when their turn comes, so that two sets sent back to back both apply.
  check(arbiter, props) {
    const watcher = getWatcher(arbiter, props.name);
    buildConfig(watcher.config, props.options as Record<string, unknown>);
    return watcher;
  },
  async execute(change, props, watcher) {
    const changes = change.watcher(watcher);
    const next = buildConfig(watcher.config, props.options as Record<string, unknown>);
    // applyConfig publishes `updated` per option and spawns or stops to the new numprocesses.
    // A stream that cannot open (a bad path) is a ConfigError: the caller's mistake, in one line.
    const updates = Object.keys(props.options as Record<string, unknown>).length;
    await changes.applyConfig({ ...next.config, name: watcher.name }, updates);
    if (next.restart && watcher.isActive()) await changes.reload(true);
  },
  message(line) {
    if (line.args.length < 3) throw new ArgumentError("Invalid number of arguments");
    const [name, ...rest] = line.args;
    if (rest.length % 2 !== 0) throw new ArgumentError("List of key/values is invalid");
    const options: Record<string, unknown> = {};
    for (let i = 0; i < rest.length; i += 2) {
      const key = (rest[i] as string).toLowerCase();
      options[key] = convertOption(key, rest[i + 1] as string);
    }
    const props: Record<string, unknown> = { name, options };
    if (line.options.waiting === true) props.waiting = true;
    return props;
  },
  consoleOutput: (reply) => okOutput(reply),
};
