/**
 * What many commands share: property checks (each throws the MessageError Circus would),
 * watcher lookup by name or pattern, and the circusctl option lists.
 */
import { fnmatchToRegExp } from "../../config/fnmatch.js";
import type { Arbiter } from "../../core/arbiter.js";
import type { Watcher } from "../../core/watcher.js";
import { parseSignal } from "../../sys/signals.js";
import type { CommandLine, CommandOption } from "../command.js";
import { ArgumentError, MessageError } from "../protocol.js";

/** The watcher of that name; MessageError `program NAME not found` otherwise, as Circus. */
export function getWatcher(arbiter: Arbiter, name: unknown): Watcher {
  const watcher = typeof name === "string" ? arbiter.getWatcher(name) : undefined;
  if (!watcher) throw new MessageError(`program ${String(name)} not found`);
  return watcher;
}

/** Throws unless every name is present (Circus's `message invalid 'x' is missing`). */
export function requireProps(props: Record<string, unknown>, names: string[]): void {
  for (const name of names)
    if (!(name in props)) throw new MessageError(`message invalid '${name}' is missing`);
}

type Check = "string" | "boolean" | "integer" | "number" | "object" | "array";

const CHECKS: Record<Check, (v: unknown) => boolean> = {
  string: (v) => typeof v === "string",
  boolean: (v) => typeof v === "boolean",
  integer: (v) => Number.isInteger(v),
  number: (v) => typeof v === "number" && Number.isFinite(v),
  object: (v) => typeof v === "object" && v !== null && !Array.isArray(v),
  array: (v) => Array.isArray(v),
};

/** Throws when a present property has the wrong JSON type (null counts as absent). */
export function checkTypes(props: Record<string, unknown>, types: Record<string, Check>): void {
  for (const [name, type] of Object.entries(types)) {
    const value = props[name];
    if (value === undefined || value === null) continue;
    if (!CHECKS[type](value)) throw new MessageError(`'${name}' should be of type ${type}`);
  }
}

/**
 * A signal from a number or a name (`HUP`, `SIGHUP`, `hup`, `1`); 0 too, which only checks
 * that the process is there. MessageError `signal invalid` otherwise.
 */
export function toSignum(value: unknown): number {
  if (value === 0 || value === "0") return 0;
  const signum = typeof value === "number" || typeof value === "string" ? parseSignal(value) : null;
  if (signum === null) throw new MessageError("signal invalid");
  return signum;
}

/** Checks `match` and throws for an unknown method before anything runs. */
export function checkMatch(props: Record<string, unknown>): void {
  const match = props.match ?? "glob";
  if (match !== "simple" && match !== "glob" && match !== "regex")
    throw new MessageError(`unknown match method ${String(match)}`);
}

/**
 * The watchers a start/stop/restart `name` designates: `match` simple (exact name), glob
 * (the default) or regex (Python's re.match: anchored at the start only), case-insensitive.
 * MessageError `program NAME not found` when none matches.
 */
export function matchWatchers(arbiter: Arbiter, props: Record<string, unknown>): Watcher[] {
  const name = String(props.name);
  const match = props.match ?? "glob";
  let watchers: Watcher[];
  if (match === "simple") {
    watchers = [getWatcher(arbiter, name)];
  } else {
    let regex: RegExp;
    try {
      regex =
        match === "regex"
          ? new RegExp(`^(?:${name.toLowerCase()})`)
          : fnmatchToRegExp(name.toLowerCase());
    } catch {
      throw new MessageError(`invalid pattern ${name}`);
    }
    watchers = arbiter.iterWatchers().filter((w) => regex.test(w.name.toLowerCase()));
  }
  if (watchers.length === 0) throw new MessageError(`program ${name} not found`);
  return watchers;
}

/** `--waiting`, which most state-changing commands take. */
export const WAITING: CommandOption = {
  name: "waiting",
  type: "boolean",
  help: "Waiting the real end of the process",
};

/** `--match=simple|glob|regex` of start, stop and restart. */
export const MATCH: CommandOption = {
  name: "match",
  type: "string",
  help: "Watcher name matching method (simple, glob or regex)",
};

/** Throws unless the command line has between min and max positional arguments. */
export function checkArgs(line: CommandLine, min: number, max: number): void {
  const n = line.args.length;
  if (n < min || n > max) throw new ArgumentError("Invalid number of arguments");
}

/** `[NAME]`: at most one positional argument, the watcher's name. */
export function nameArg(line: CommandLine): Record<string, unknown> {
  checkArgs(line, 0, 1);
  return line.args.length === 1 ? { name: line.args[0] } : {};
}

/** An integer argument; ArgumentError otherwise. */
export function intArg(text: string, what: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new ArgumentError(`${what} should be an integer`);
  return Number(text);
}

/** circusctl's `error: REASON`. */
export function consoleError(reply: Record<string, unknown>): string {
  return `error: ${String(reply.reason)}`;
}

/** Circus's default console output: `ok`, or the error. */
export function okOutput(reply: Record<string, unknown>): string {
  return reply.status === "ok" ? "ok" : consoleError(reply);
}

/** Before queueing: the watcher exists and, when `pid` is given, has that process. */
export function checkPid(arbiter: Arbiter, props: Record<string, unknown>): Watcher {
  const watcher = getWatcher(arbiter, props.name);
  if (props.pid !== undefined && !watcher.processes.has(props.pid as number))
    throw new MessageError(`process ${String(props.pid)} not found in '${watcher.name}'`);
  return watcher;
}
