import type { Watcher } from "../../core/watcher.js";
import type { ChangeCommand } from "../command.js";
import { resize } from "./incr.js";
import { WAITING } from "./util.js";

/** `decr NAME [NB] [--waiting]`. */
export const decr: ChangeCommand<Watcher> = {
  name: "decr",
  summary: "Decrement the number of processes in a watcher",
  help: `Decrement the number of processes in a watcher

This command decrements the number of processes in a watcher by <nb>, 1 being the default.

ZMQ Message:
    {"command": "decr", "properties": {"name": "<watchername>", "nb": <nbprocess>, "waiting": false}}

The response returns the number of processes in the 'numprocesses' property:
    {"status": "ok", "numprocesses": <n>, "time", "timestamp"}

Command line:
    $ circusctl decr <name> [<nb>] [--waiting]

Options:
    <name>: name of the watcher
    <nb>: the number of processes to remove.`,
  mutating: true,
  options: [WAITING],
  watcherArgs: [0],
  ...resize(-1),
};
