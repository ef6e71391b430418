import type { Command } from "../command.js";
import { checkArgs, consoleError } from "./util.js";

/** `numwatchers`: how many watchers the arbiter has. */
export const numwatchers: Command = {
  name: "numwatchers",
  summary: "Get the number of watchers",
  help: `Get the number of watchers in the arbiter

ZMQ Message:
    {"command": "numwatchers"}

The response returns the number of watchers in the 'numwatchers' property:
    {"status": "ok", "numwatchers": <n>, "time", "timestamp"}

Command line:
    $ circusctl numwatchers`,
  mutating: false,
  validate: () => {},
  execute: (arbiter) => ({ numwatchers: arbiter.numwatchers() }),
  message(line) {
    checkArgs(line, 0, 0);
    return {};
  },
  consoleOutput: (reply) =>
    reply.status === "ok" ? String(reply.numwatchers) : consoleError(reply),
};
