import type { Command } from "../command.js";
import type { SocketInfo } from "../../sockets/index.js";
import { consoleError } from "./util.js";

/** `listsockets`: the sockets circusd bound, as Circus lists them. */
export const listsockets: Command = {
  name: "listsockets",
  summary: "Get the list of sockets",
  help: `Get the list of sockets

ZMQ Message:
    {"command": "listsockets"}

The response returns a list of json mappings with keys for fd, name, host and port (or
path for a unix socket), sorted by fd.

Command line:
    $ circusctl listsockets`,
  mutating: false,
  validate: () => {},
  execute: (arbiter) => ({
    sockets: arbiter.boundSockets.map((s) => s.info()).sort((a, b) => a.fd - b.fd),
  }),
  message: () => ({}),
  consoleOutput(reply) {
    if (!Array.isArray(reply.sockets)) return consoleError(reply);
    return (reply.sockets as SocketInfo[])
      .map((s) => `${s.fd}:socket '${s.name}' at ${s.path ?? `${s.host}:${s.port}`}`)
      .join("\n");
  },
};
