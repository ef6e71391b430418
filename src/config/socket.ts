import { SOCKET_DEFAULTS } from "./defaults.js";
import { applyFields, fieldsOf, warnIfMisspelled, type SectionView } from "./section.js";
import type { SocketConfig, SocketFamily, SocketType } from "./types.js";
import {
  parseBool,
  parseChoice,
  parseInteger,
  parseOptionalString,
  parsePort,
  parseUmask,
} from "./values.js";

const FAMILIES: readonly SocketFamily[] = ["AF_UNIX", "AF_INET", "AF_INET6"];
const TYPES: readonly SocketType[] = [
  "SOCK_STREAM",
  "SOCK_DGRAM",
  "SOCK_RAW",
  "SOCK_RDM",
  "SOCK_SEQPACKET",
];

const s = fieldsOf<SocketConfig>();
const SOCKET_FIELDS = {
  host: s("host", (text) => text),
  port: s("port", parsePort),
  family: s("family", parseChoice(FAMILIES)),
  type: s("type", parseChoice(TYPES)),
  interface: s("interface", parseOptionalString),
  path: s("path", parseOptionalString),
  umask: s("umask", (text) => (text.trim() === "" ? null : parseUmask(text))),
  replace: s("replace", parseBool),
  so_reuseport: s("soReuseport", parseBool),
  blocking: s("blocking", parseBool),
  backlog: s("backlog", (text) => parseInteger(text, { min: 0 })),
  use_papa: s("usePapa", parseBool),
};

/**
 * Read a `[socket:NAME]` section. The name is lower-cased as Circus does, since
 * `$(circus.sockets.NAME)` is looked up case-insensitively. A `path` makes it a unix socket.
 *
 * @throws ConfigError for any bad value.
 */
export function socketFromSection(view: SectionView): SocketConfig {
  const name = view.nameAfter("socket");
  const input: Partial<SocketConfig> = {};
  for (const option of applyFields(view, SOCKET_FIELDS, input).keys()) {
    if (!warnIfMisspelled(view, option, Object.keys(SOCKET_FIELDS), "ignored")) {
      view.warn(option, "unknown socket option ignored");
    }
  }
  if (input.path !== undefined && input.path !== null) {
    if (input.family !== undefined && input.family !== "AF_UNIX") {
      view.warn("family", `ignored: a socket with a path is always AF_UNIX`);
    }
  }
  return socketConfig({ ...input, name }, view.source());
}

/**
 * A socket's config with every default applied, from the library or a section: the name
 * lower-cased, and a `path` making it a unix socket.
 */
export function socketConfig(
  input: Partial<SocketConfig> & { name: string },
  source: SocketConfig["source"] = null,
): SocketConfig {
  const unix = input.path !== undefined && input.path !== null;
  return {
    ...SOCKET_DEFAULTS,
    ...input,
    ...(unix ? { family: "AF_UNIX" as const } : {}),
    name: input.name.trim().toLowerCase(),
    source,
  };
}
