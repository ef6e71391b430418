/**
 * Text-to-value converters for configuration options. Each throws `InvalidValueError` with a
 * short reason; the loader adds file, section and option to make a `ConfigError`.
 */
import { parseSignal } from "../sys/signals.js";

/** A value that does not fit its option; the message is the reason only, without location. */
export class InvalidValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidValueError";
  }
}

/** A value quoted in a message; a huge one shortened, so that the message stays one line. */
const quote = (text: string): string =>
  text.length <= 100
    ? JSON.stringify(text)
    : `${JSON.stringify(text.slice(0, 40))}... (${text.length} characters)`;

const TRUE_WORDS = new Set(["true", "yes", "on", "1"]);
const FALSE_WORDS = new Set(["false", "no", "off", "0"]);

/** `true/false`, `yes/no`, `on/off`, `1/0`, case-insensitive (Circus's `to_bool`). */
export function parseBool(text: string): boolean {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new InvalidValueError(
    `expected a boolean (true/false, yes/no, on/off, 1/0), got ${quote(text)}`,
  );
}

/** A decimal integer, optionally bounded. */
export function parseInteger(text: string, bounds: { min?: number; max?: number } = {}): number {
  const trimmed = text.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) {
    throw new InvalidValueError(`expected an integer, got ${quote(text)}`);
  }
  return checkBounds(Number(trimmed), text, bounds);
}

/** A decimal number such as `30`, `0.5` or `1e3`; `inf` and `nan` are refused. */
export function parseNumber(text: string, bounds: { min?: number; max?: number } = {}): number {
  const trimmed = text.trim();
  // One way only to match each digit (no `\d+\.?\d*`): linear time on any value.
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) {
    throw new InvalidValueError(`expected a number, got ${quote(text)}`);
  }
  return checkBounds(Number(trimmed), text, bounds);
}

/** A duration in seconds: a number, never negative. */
export function parseSeconds(text: string): number {
  return parseNumber(text, { min: 0 });
}

function checkBounds(value: number, text: string, bounds: { min?: number; max?: number }): number {
  const { min, max } = bounds;
  if (!Number.isFinite(value))
    throw new InvalidValueError(`too large a number, got ${quote(text)}`);
  if (min !== undefined && value < min) {
    throw new InvalidValueError(
      min === 0
        ? `must not be negative, got ${quote(text)}`
        : `must be >= ${min}, got ${quote(text)}`,
    );
  }
  if (max !== undefined && value > max) {
    throw new InvalidValueError(`must be <= ${max}, got ${quote(text)}`);
  }
  return value;
}

/** A TCP/UDP port, 0 to 65535. */
export function parsePort(text: string): number {
  return parseInteger(text, { min: 0, max: 65535 });
}

/**
 * An octal umask: `002`, `0022`, `22` or `0o22` all read as octal, like Python's `int(x, 8)`
 * that Circus applies.
 */
export function parseUmask(text: string): number {
  const trimmed = text.trim();
  const digits = trimmed.replace(/^0o/i, "");
  if (!/^[0-7]+$/.test(digits)) {
    throw new InvalidValueError(`expected an octal umask such as 002 or 0o22, got ${quote(text)}`);
  }
  const value = parseInt(digits, 8);
  if (value > 0o777) throw new InvalidValueError(`umask must be <= 0777, got ${quote(text)}`);
  return value;
}

/**
 * One of a few documented names, in any case (`af_inet6` is AF_INET6, `Thread` is thread):
 * the name as `allowed` spells it.
 */
export function parseChoice<T extends string>(allowed: readonly T[]): (text: string) => T {
  const expected =
    allowed.length === 2 ? `${allowed[0]} or ${allowed[1]}` : `one of ${allowed.join(", ")}`;
  return (text) => {
    const wanted = text.trim().toLowerCase();
    const found = allowed.find((name) => name.toLowerCase() === wanted);
    if (found === undefined)
      throw new InvalidValueError(`expected ${expected}, got ${quote(text)}`);
    return found;
  };
}

/** Where circusd listens for discovery datagrams: a multicast group and a port. */
export interface MulticastEndpoint {
  address: string;
  port: number;
}

/**
 * `udp://A.B.C.D:PORT` with A.B.C.D a multicast group (224.0.0.0 to 239.255.255.255), as
 * Circus's `multicast_endpoint`.
 */
export function parseMulticastEndpoint(text: string): MulticastEndpoint {
  const bad = (why: string): InvalidValueError =>
    new InvalidValueError(`expected udp://A.B.C.D:PORT${why}, got ${quote(text)}`);
  const match = /^udp:\/\/(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(text.trim());
  if (!match) throw bad("");
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((octet) => octet > 255)) throw bad(" (an IPv4 address)");
  const first = octets[0] ?? 0;
  if (first < 224 || first > 239)
    throw bad(" with a multicast address, from 224.0.0.0 to 239.255.255.255");
  const port = Number(match[5]);
  if (port < 1 || port > 65535) throw bad(" with a port from 1 to 65535");
  return { address: octets.join("."), port };
}

/**
 * A ZeroMQ endpoint that circus binds or connects to: `tcp://HOST:PORT` (HOST a name, an
 * address, `[IPv6]` or `*`; PORT a number or `*`) or `ipc://PATH`. Checked when the config is
 * read, so that a typo names its option there rather than failing later in a child
 * (circusd-stats) whose output nobody reads.
 */
export function parseZmqEndpoint(text: string): string {
  const value = text.trim();
  const bad = (why = ""): InvalidValueError =>
    new InvalidValueError(`expected tcp://HOST:PORT or ipc://PATH${why}, got ${quote(text)}`);
  const tcp = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+):(\d{1,5}|\*)$/.exec(value);
  if (tcp) {
    if (tcp[2] !== "*" && Number(tcp[2]) > 65535) throw bad(" with a port up to 65535");
    return value;
  }
  if (/^ipc:\/\/\S/.test(value)) return value;
  throw bad();
}

/**
 * `readiness`: `tcp:HOST:PORT`, `http://HOST[:PORT]/PATH`, `exec:COMMAND` or `notify`, kept as
 * written (`$(circus.wid)` and the like are filled per process).
 *
 * @throws InvalidValueError for anything else.
 */
export function parseReadiness(text: string): string | null {
  const value = text.trim();
  if (value === "" || value.toLowerCase() === "none") return null;
  if (value === "notify") return value;
  if (/^tcp:.+:[^:]+$/.test(value)) return value;
  if (/^http:\/\/\S+$/.test(value)) return value;
  if (/^exec:\s*\S/.test(value)) return value;
  throw new InvalidValueError(
    `expected tcp:HOST:PORT, http://HOST:PORT/PATH, exec:COMMAND or notify, got ${quote(text)}`,
  );
}

/** A list of watcher names, separated by commas or spaces (compared in lower case). */
export function parseNameList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
}

/** Where the process kernel listens: a unix socket file, or TCP on a loopback address. */
export type KernelAddress = { path: string } | { host: string; port: number };

/**
 * `papa_endpoint`: `ipc://PATH` or `tcp://HOST:PORT`, HOST a loopback address (the process
 * kernel starts processes for whoever reaches it: it must not be reachable from elsewhere).
 *
 * @throws InvalidValueError saying what is wrong.
 */
export function parseKernelEndpoint(text: string): KernelAddress {
  const endpoint = parseZmqEndpoint(text);
  if (endpoint.startsWith("ipc://")) return { path: endpoint.slice("ipc://".length) };
  const [, host = "", port = ""] = /^tcp:\/\/\[?(.*?)\]?:([^:]+)$/.exec(endpoint) ?? [];
  if (port === "*" || Number(port) === 0)
    throw new InvalidValueError(`the process kernel needs a fixed port, got ${quote(text)}`);
  if (host !== "localhost" && host !== "::1" && !/^127\.\d+\.\d+\.\d+$/.test(host))
    throw new InvalidValueError(
      `the process kernel listens only on loopback or ipc:// (it starts processes for whoever reaches it), got ${quote(text)}`,
    );
  return { host: host === "localhost" ? "127.0.0.1" : host, port: Number(port) };
}

/** Checks `papa_endpoint` (see {@link parseKernelEndpoint}) and keeps it as written. */
export function parsePapaEndpoint(text: string): string {
  parseKernelEndpoint(text);
  return text.trim();
}

/** A user or group: digits become a numeric id, anything else stays a name for the OS to resolve. */
export function parseId(text: string): number | string | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** A signal number from `quit`, `INT`, `SIGTERM` or `3`. */
export function parseSignalValue(text: string): number {
  const signum = parseSignal(text);
  if (signum === null) throw new InvalidValueError(`unknown signal ${quote(text)}`);
  return signum;
}

/** Linux `RLIMIT_*` names, lower-case, as `rlimit_NAME` accepts them. */
export const RLIMIT_NAMES: readonly string[] = [
  "as",
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "rttime",
  "sigpending",
  "stack",
];

/**
 * An `rlimit_*` value: an empty value is RLIM_INFINITY (null). `-1`, which is RLIM_INFINITY
 * as Python's `resource` module spells it, is accepted for the same reason.
 */
export function parseRlimitValue(text: string): number | null {
  if (text.trim() === "") return null;
  const value = parseInteger(text, { min: -1 });
  return value === -1 ? null : value;
}

/** Text kept as is, but an empty value means "not set". */
export function parseOptionalString(text: string): string | null {
  return text === "" ? null : text;
}

/**
 * Optimal-string-alignment distance: edits, inserts, deletes and swaps of two neighbours all
 * cost one, so `graceful_timout` and `numprocessse` are both close to the real names.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 0; i < rows; i++) d[i]![0] = i;
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i]![j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The candidate nearest to `name` within `maxDistance` edits (ties: first listed), or null. */
export function closestName(
  name: string,
  candidates: Iterable<string>,
  maxDistance = 2,
): string | null {
  let best: string | null = null;
  let bestDistance = maxDistance + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** A plain object (a JSON or YAML mapping): not null, not an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
