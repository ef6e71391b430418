import type { CircusConfig } from "../../config/types.js";
import type { ChangeCommand } from "../command.js";
import { MessageError } from "../protocol.js";
import { checkTypes, okOutput, WAITING } from "./util.js";

/** Configs read by `check`, for `execute` of the same request. */

/** `reloadconfig [--waiting]`: re-reads the config file and applies what changed. */
export const reloadconfig: ChangeCommand<CircusConfig> = {
  name: "reloadconfig",
  summary: "Reload the configuration file",
  help: `Reload the configuration file

This command reloads the configuration file, so changes in the configuration file will
be reflected in the configuration of circus: new watchers are added, removed ones are
stopped and removed, changed ones are restarted with their new options.

ZMQ Message:
    {"command": "reloadconfig", "properties": {"waiting": false}}

The response returns the status "ok".

Command line:
    $ circusctl reloadconfig [--waiting]`,
  mutating: true,
  options: [WAITING],
  validate: (props) => checkTypes(props, { waiting: "boolean" }),
  // The file is read before queueing, so that a broken file is an error reply at once.
  check(arbiter) {
    if (!arbiter.configLoader) throw new MessageError("no config file to reload");
    const config = arbiter.configLoader();
    arbiter.checkReload(config);
    return config;
  },
  async execute(change, _props, config) {
    await change.reloadConfig(config);
  },
  message: (line) => (line.options.waiting === true ? { waiting: true } : {}),
  consoleOutput: (reply) => okOutput(reply),
};
