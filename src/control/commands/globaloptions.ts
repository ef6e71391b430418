import { DEFAULT_STATS_ENDPOINT } from "../../config/defaults.js";
import type { Arbiter } from "../../core/arbiter.js";
import type { Command } from "../command.js";
import { float, pyRepr } from "../../python/repr.js";
import { MessageError } from "../protocol.js";
import { optionLines } from "./options.js";
import { checkArgs } from "./util.js";

const GETTERS: Record<string, (a: Arbiter) => unknown> = {
  endpoint: (a) => a.options.endpoint,
  stats_endpoint: (a) => a.options.statsEndpoint ?? DEFAULT_STATS_ENDPOINT,
  pubsub_endpoint: (a) => a.options.pubsubEndpoint,
  check_delay: (a) => float(a.options.checkDelay),
  // Circus reports an empty value, which turns discovery off, as it was given.
  multicast_endpoint: (a) => a.options.multicastEndpoint ?? "",
};

/** `globaloptions [KEY]`: the arbiter's options. */
export const globaloptions: Command = {
  name: "globaloptions",
  summary: "Get the arbiter options",
  help: `Get the arbiter options

ZMQ Message:
    {"command": "globaloptions", "properties": {"option": "<key>"}}

Without "option", every key is returned. The response returns an object with a property
"options" containing the key/values, e.g. {"status": "ok", "options": {"check_delay": 1, ...}}

Command line:
    $ circusctl globaloptions [<key>]

Options keys are:
    endpoint: the controller ZMQ endpoint
    pubsub_endpoint: the pubsub endpoint
    check_delay: the delay between two controller points
    multicast_endpoint: the multicast endpoint for circusd cluster auto-discovery
    stats_endpoint: the stats endpoint`,
  mutating: false,
  validate: () => {},
  execute(arbiter, props) {
    // As Circus: an empty option (or none) means all of them.
    const wanted = props.option;
    if (wanted && !(typeof wanted === "string" && Object.hasOwn(GETTERS, wanted)))
      throw new MessageError(`${pyRepr(wanted)} not an existing option`);
    const keys = wanted ? [wanted as string] : Object.keys(GETTERS);
    return { options: Object.fromEntries(keys.map((k) => [k, GETTERS[k]?.(arbiter)])) };
  },
  message(line) {
    checkArgs(line, 0, 1);
    return line.args.length === 1 ? { option: line.args[0] } : {};
  },
  // The reference prints the bare reason here, without "error: ".
  consoleOutput: (reply) =>
    reply.status === "ok" ? optionLines(reply.options) : String(reply.reason),
};
