import type { Command } from "../command.js";
import { consoleError } from "./util.js";

/** One socket as the reply lists it: fd, name, backlog, and host/port or path. */
interface SocketInfo {
  fd: number;
  name: string;
  backlog: number;
  host?: string;
  port?: number;
  path?: string;
}

/** `listsockets`: the sockets circusd bound. None yet: binding sockets comes later. */
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
  // Sockets are not bound by this daemon yet: the list is empty until they are.
  execute: () => ({ sockets: [] as SocketInfo[] }),
  message: () => ({}),
  consoleOutput(reply) {
    if (!Array.isArray(reply.sockets)) return consoleError(reply);
    return (reply.sockets as SocketInfo[])
      .map((s) => `${s.fd}:socket '${s.name}' at ${s.path ?? `${s.host}:${s.port}`}`)
      .join("\n");
  },
};
