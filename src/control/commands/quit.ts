import type { Command } from "../command.js";
import { checkArgs, okOutput, WAITING } from "./util.js";

/** `quit`: the controller replies, then stops the arbiter; circusd exits. */
export const quit: Command = {
  name: "quit",
  summary: "Quit the arbiter immediately",
  help: `Quit the arbiter immediately

When the arbiter receives this command, the arbiter exits: every watcher is stopped.

ZMQ Message:
    {"command": "quit", "waiting": false}

The response returns the status "ok". If "waiting" is false (default), the call returns
immediately; otherwise once every process is stopped.

Command line:
    $ circusctl quit [--waiting]`,
  // Not queued: quit must work even while a long command holds the queue.
  mutating: false,
  options: [WAITING],
  validate: () => {},
  // The stop itself is the controller's job (it must answer before the endpoint closes).
  execute: () => {},
  message(line) {
    checkArgs(line, 0, 0);
    return line.options.waiting ? { waiting: true } : {};
  },
  consoleOutput: (reply) => okOutput(reply),
};
