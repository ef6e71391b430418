/**
 * The kernel's requests checked field by field before anything is done: a bad one is refused
 * with the field it is about, and changes nothing.
 */
import type { SocketConfig } from "../config/types.js";
import type { SpawnSpec } from "../sys/spawn.js";

/** A request the kernel refuses; its message is the reply's `error`. */
export class RequestError extends Error {
  override name = "RequestError";
}

type Message = Record<string, unknown>;

function fail(field: string, what: string): never {
  throw new RequestError(`${field}: ${what}`);
}

function isInt(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value);
}

function strings(value: unknown, field: string, nonEmpty = false): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
    fail(field, "a list of strings is required");
  if (nonEmpty && value.length === 0) fail(field, "must not be empty");
  return value as string[];
}

function optional<T>(
  m: Message,
  key: string,
  check: (v: unknown) => v is T,
  what: string,
): T | undefined {
  const value = m[key];
  if (value === undefined || value === null) return undefined;
  if (!check(value)) fail(key, what);
  return value;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isNatural = (v: unknown): v is number => isInt(v) && v >= 0;

function environment(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail("env", "an object of strings is required");
  for (const [k, v] of Object.entries(value))
    if (typeof v !== "string" || k.includes("=") || k === "")
      fail("env", `bad variable ${JSON.stringify(k)}`);
  return value as Record<string, string>;
}

function stdio(m: Message, key: string, allowed: readonly string[]): SpawnSpec["stdin"] {
  const value = m[key] ?? "null";
  if (typeof value !== "string" || !allowed.includes(value))
    fail(key, `one of ${allowed.join(", ")}`);
  return value as SpawnSpec["stdin"];
}

/**
 * A `spawn` request as the native spawner takes it. Its `fds` may only hand over sockets the
 * kernel holds (`held`): never the kernel's own endpoint or a pipe.
 */
export function spawnRequest(m: Message, held: ReadonlySet<number>): SpawnSpec {
  const argv = strings(m.argv, "argv", true);
  const groups = m.groups === undefined || m.groups === null ? undefined : m.groups;
  if (groups !== undefined && (!Array.isArray(groups) || !groups.every(isNatural)))
    fail("groups", "a list of group ids is required");
  let rlimits: Record<string, number | null> | undefined;
  if (m.rlimits !== undefined && m.rlimits !== null) {
    if (typeof m.rlimits !== "object" || Array.isArray(m.rlimits))
      fail("rlimits", "an object is required");
    for (const v of Object.values(m.rlimits))
      if (v !== null && !isNatural(v)) fail("rlimits", "values are null or non-negative integers");
    rlimits = m.rlimits as Record<string, number | null>;
  }
  const fds: [number, number][] = [];
  if (m.fds !== undefined && m.fds !== null) {
    if (!Array.isArray(m.fds)) fail("fds", "a list of [child fd, socket fd] is required");
    for (const pair of m.fds) {
      if (!Array.isArray(pair) || pair.length !== 2 || !isNatural(pair[0]) || !isNatural(pair[1]))
        fail("fds", "a list of [child fd, socket fd] is required");
      if (!held.has(pair[1])) fail("fds", `${pair[1]} is not a socket this kernel holds`);
      fds.push([pair[0], pair[1]]);
    }
  }
  return {
    argv,
    executable: optional(m, "executable", isString, "a string is required"),
    cwd: optional(m, "cwd", isString, "a string is required"),
    env: environment(m.env ?? {}),
    uid: optional(m, "uid", isNatural, "a user id is required"),
    gid: optional(m, "gid", isNatural, "a group id is required"),
    groups: groups as number[] | undefined,
    rlimits,
    stdin: stdio(m, "stdin", ["null", "inherit"]),
    stdout: stdio(m, "stdout", ["null", "pipe"]),
    stderr: stdio(m, "stderr", ["null", "pipe"]),
    fds,
  };
}

const FAMILIES = ["AF_INET", "AF_INET6", "AF_UNIX"];
const TYPES = ["SOCK_STREAM", "SOCK_DGRAM", "SOCK_SEQPACKET"];

/** A `socket` request: `name` and `spec`, the socket's options as circusd parsed them. */
export function socketRequest(m: Message): SocketConfig {
  if (typeof m.name !== "string" || m.name === "") fail("name", "a string is required");
  const s = m.spec;
  if (typeof s !== "object" || s === null || Array.isArray(s))
    fail("spec", "an object is required");
  const spec = s as Message;
  const text = (key: string) => {
    const v = spec[key];
    if (v !== null && typeof v !== "string") fail(`spec.${key}`, "a string or null is required");
    return v as string | null;
  };
  const flag = (key: string) => {
    if (typeof spec[key] !== "boolean") fail(`spec.${key}`, "true or false is required");
    return spec[key] as boolean;
  };
  const int = (key: string, max: number) => {
    const v = spec[key];
    if (!isNatural(v) || v > max) fail(`spec.${key}`, `an integer from 0 to ${max} is required`);
    return v;
  };
  if (!FAMILIES.includes(spec.family as string)) fail("spec.family", FAMILIES.join(", "));
  if (!TYPES.includes(spec.type as string)) fail("spec.type", TYPES.join(", "));
  if (spec.umask !== null && !(isNatural(spec.umask) && spec.umask <= 0o777))
    fail("spec.umask", "a mode or null is required");
  return {
    name: m.name,
    host: text("host") ?? "",
    port: int("port", 65535),
    family: spec.family as SocketConfig["family"],
    type: spec.type as SocketConfig["type"],
    interface: text("interface"),
    path: text("path"),
    umask: spec.umask as number | null,
    replace: flag("replace"),
    soReuseport: flag("soReuseport"),
    blocking: flag("blocking"),
    backlog: int("backlog", 1 << 20),
    usePapa: true,
    source: null,
  };
}
