import type { Command } from "../command.js";
import { checkStartStop, runStartStop, startStopMessage, validateStartStop } from "./start-stop.js";
import { MATCH, okOutput, WAITING } from "./util.js";

/** `stop [NAME] [--waiting] [--match=simple|glob|regex]`. */
export const stop: Command = {
  name: "stop",
  summary: "Stop watchers",
  help: `Stop watchers

This command stops a given watcher or all watchers.

ZMQ Message:
    {
        "command": "stop",
        "properties": {"name": "<name>", "waiting": false, "match": "[simple|glob|regex]"}
    }

The response returns the status "ok".

If the "name" property is present, the stop applies to the watcher(s) of that name or
pattern; otherwise to every watcher.

If "waiting" is false (default), the call returns immediately; if true, only when the
stop is completely ended (which can take up to graceful_timeout).

The "match" parameter can have the value "simple" for string compare, "glob" for
wildcard matching (default) or "regex" for regex matching.

Command line:
    $ circusctl stop [name] [--waiting] [--match=simple|glob|regex]

Options:
    <name>: name or pattern of the watcher(s)
    <match>: watcher match method`,
  mutating: true,
  options: [WAITING, MATCH],
  watcherArgs: [0],
  validate: validateStartStop,
  check: checkStartStop,
  execute: (arbiter, props) => runStartStop(arbiter, props, "stop"),
  message: startStopMessage,
  consoleOutput: (reply) => okOutput(reply),
};
