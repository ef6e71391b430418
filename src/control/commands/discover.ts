import type { Command } from "../command.js";
import { DEFAULT_MULTICAST_ENDPOINT } from "../../config/defaults.js";
import { InvalidValueError, parseMulticastEndpoint } from "../../config/values.js";
import { ArgumentError, MessageError } from "../protocol.js";
import { checkArgs, consoleError } from "./util.js";

/**
 * `discover [--multicast ENDPOINT] [--timeout SECONDS]`: the circusd daemons that answer on
 * the multicast group. circusctl asks the group itself (UDP, not the control socket); circusd
 * does not know the command (`unknown command`, as Circus's, which has no such command).
 * Beyond Circus's circusctl: Circus's daemons answer it all the same.
 */
export const discover: Command = {
  name: "discover",
  summary: "List the circusd daemons that answer on the multicast group",
  clientOnly: true,
  help: `List the circusd daemons that answer on the multicast group

Every circusd joins the UDP multicast group of its multicast_endpoint option
(udp://237.219.251.97:12027 by default) and answers a datagram with its control
endpoint. circusctl sends one datagram to the group (through each network interface),
collects the answers until the timeout and prints one control endpoint per line; a
daemon bound on every address (tcp://0.0.0.0:5555) is printed with the address it
answered from. With --json: a list of {"endpoint", "from"}, the endpoint as the daemon
answered it and the address it answered from. No answer: a line on stderr and exit
status 1 (with --json: [] and 0).

This is not a request to circusd: --endpoint plays no part. The network needs a route
for multicast (e.g. ip route add 224.0.0.0/4 dev eth0 on a host with several networks
and no default route).

Command line:
    $ circusctl discover [--multicast udp://237.219.251.97:12027] [--timeout 1]

Options:
    --multicast ENDPOINT   the group and port to ask (default udp://237.219.251.97:12027)
    --timeout SECONDS      how long to wait for answers (default 1)

Example:
    $ circusctl discover
    tcp://10.0.0.7:5555
    $ circusctl --endpoint tcp://10.0.0.7:5555 status`,
  mutating: false,
  options: [
    { name: "multicast", type: "string", help: "The multicast group and port to ask" },
    { name: "timeout", type: "string", help: "Seconds to wait for answers (default 1)" },
  ],
  validate: () => {},
  execute() {
    throw new MessageError("discover is circusctl's: it asks the multicast group over UDP");
  },
  message(line) {
    checkArgs(line, 0, 0);
    const multicast =
      typeof line.options.multicast === "string"
        ? line.options.multicast
        : DEFAULT_MULTICAST_ENDPOINT;
    try {
      parseMulticastEndpoint(multicast);
    } catch (error) {
      if (error instanceof InvalidValueError)
        throw new ArgumentError(`--multicast: ${error.message}`);
      throw error;
    }
    const text = typeof line.options.timeout === "string" ? line.options.timeout : "1";
    const timeout = Number(text);
    if (text.trim() === "" || !(timeout > 0) || !Number.isFinite(timeout))
      throw new ArgumentError(`--timeout: expected a number of seconds > 0, got '${text}'`);
    return { multicast, timeout };
  },
  // circusctl prints what it found itself (cli/ctl/discover.ts); this is for a reply with
  // the list, should a client hold one: {"status": "ok", "endpoints": [...]}.
  consoleOutput: (reply) =>
    reply.status === "ok" && Array.isArray(reply.endpoints)
      ? reply.endpoints.map(String).join("\n")
      : consoleError(reply),
};
