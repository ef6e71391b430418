import type { Command } from "../command.js";
import { ArgumentError, MessageError } from "../protocol.js";
import { watcherOptions } from "../watcher-options.js";
import { optionLines } from "./options.js";
import { checkTypes, consoleError, getWatcher, requireProps } from "./util.js";

/** `get NAME KEY...`: some options of a watcher. */
export const get: Command = {
  name: "get",
  summary: "Get the value of specific watcher options",
  help: `Get the value of specific watcher options

This command can be used to query the current value of one or more watcher options.

ZMQ Message:
    {"command": "get", "properties": {"keys": ["key1", "key2"], "name": "nameofwatcher"}}

A request message contains two properties:
    keys: list, the option keys for which you want to get the values
    name: name of watcher

The response object has a property "options" which is a dictionary of option names and
values, e.g. {"status": "ok", "options": {"graceful_timeout": 300, "send_hup": true}}

Command line:
    $ circusctl get <name> <key1> <key2>`,
  mutating: false,
  watcherArgs: [0],
  validate(props) {
    requireProps(props, ["name", "keys"]);
    checkTypes(props, { name: "string", keys: "array" });
    for (const key of props.keys as unknown[])
      if (typeof key !== "string") throw new MessageError("'keys' should be a list of strings");
  },
  execute(arbiter, props) {
    const all = watcherOptions(getWatcher(arbiter, props.name).config, true);
    const options: Record<string, unknown> = {};
    for (const key of props.keys as string[]) {
      if (!(key in all)) throw new MessageError(`'${key}' option not found`);
      options[key] = all[key];
    }
    return { options };
  },
  message(line) {
    if (line.args.length < 2) throw new ArgumentError("Invalid number of arguments");
    return { name: line.args[0], keys: line.args.slice(1) };
  },
  consoleOutput: (reply) =>
    reply.status === "ok" ? optionLines(reply.options) : consoleError(reply),
};
