import { watcherConfig } from "../../config/watcher.js";
import type { WatcherConfig } from "../../config/types.js";
import { logger } from "../../log/logger.js";
import { resolveUid } from "../../sys/users.js";
import type { Arbiter } from "../../core/arbiter.js";
import type { ChangeCommand } from "../command.js";
import { ArgumentError, MessageError } from "../protocol.js";
import { validateOptions } from "../watcher-options.js";
import { buildConfig } from "./set.js";
import { pidChanges } from "./start-stop.js";
import { checkTypes, okOutput, requireProps } from "./util.js";

function sameUser(a: unknown, b: string): boolean {
  if (a === undefined || a === null) return false;
  if (String(a) === b) return true;
  try {
    return resolveUid(a as string | number) === resolveUid(b);
  } catch {
    return false;
  }
}

/**
 * With endpoint_owner on an ipc endpoint, anyone who may write the socket may add
 * watchers: seed 001 "Security" has them run as that user only.
 */
function checkOwner(arbiter: Arbiter, options: Record<string, unknown>): void {
  const owner = arbiter.options.endpointOwner;
  if (!owner || !arbiter.options.endpoint.startsWith("ipc://")) return;
  if (!sameUser(options.uid, owner)) throw new MessageError("uid does not match endpoint_owner");
}

/**
 * A circusd that is not root cannot run processes as another user: refused here, with the
 * reason, rather than accepted and then failing at every spawn. (A root circusd may; under
 * CURVE only an admin key adds watchers at all.)
 */
function checkUid(config: WatcherConfig): void {
  const euid = process.geteuid?.();
  if (euid === undefined || euid === 0 || config.uid === null) return;
  let uid: number;
  try {
    uid = resolveUid(config.uid);
  } catch (error) {
    throw new MessageError(`uid ${String(config.uid)}: ${(error as Error).message}`);
  }
  if (uid !== euid)
    throw new MessageError(
      `circusd runs as uid ${euid}, not root: it cannot run a watcher as uid ${uid}`,
    );
}

/** `add [--start] NAME CMD`: a new watcher at run time. */
export const add: ChangeCommand<WatcherConfig> = {
  name: "add",
  summary: "Add a watcher",
  help: `Add a watcher

This command adds a watcher dynamically to an arbiter.

ZMQ Message:
    {
        "command": "add",
        "properties": {
            "cmd": "/path/to/commandline --option",
            "name": "nameofwatcher",
            "args": [],
            "options": {},
            "start": false
        }
    }

A message contains these properties:
    cmd: full command line to execute in a process
    args: array, arguments passed to the command (optional)
    name: name of watcher
    options: options of a watcher (as the set command takes them)
    start: start the watcher after the creation

The response returns a status "ok". With endpoint_owner set on an ipc endpoint, the
watcher must run as that user (options.uid).

Command line:
    $ circusctl add [--start] <name> <cmd>

Options:
    <name>: name of the watcher to create
    <cmd>: full command line to execute in a process
    --start: start the watcher immediately`,
  mutating: true,
  // The reply says whether the watcher could be added (its hooks load, for one).
  waits: true,
  options: [{ name: "start", type: "boolean", help: "start immediately the watcher" }],
  validate(props) {
    requireProps(props, ["name", "cmd"]);
    checkTypes(props, { name: "string", cmd: "string", start: "boolean", waiting: "boolean" });
    const args = props.args;
    const argsOk =
      args === undefined ||
      args === null ||
      typeof args === "string" ||
      (Array.isArray(args) && args.every((a) => typeof a === "string"));
    if (!argsOk) throw new MessageError("'args' should be a list of strings");
    if (props.options !== undefined) validateOptions(props.options);
  },
  check(arbiter, props) {
    const options = (props.options ?? {}) as Record<string, unknown>;
    checkOwner(arbiter, options);
    const name = props.name as string;
    if (name.trim() === "") throw new MessageError("command name shouldn't be empty");
    if (arbiter.getWatcher(name)) throw new MessageError(`'${name}' already exist`);
    const base = watcherConfig({
      name,
      cmd: props.cmd as string,
      args: (props.args as string | string[] | null | undefined) ?? null,
    });
    const config = buildConfig(base, options).config;
    checkUid(config);
    return config;
  },
  async execute(change, props, config) {
    const { arbiter } = change;
    // Another add of that name may have been queued first.
    if (arbiter.getWatcher(config.name)) throw new MessageError(`'${config.name}' already exist`);
    const watcher = await change.addWatcher(config, false);
    if (props.start !== true) return;
    // As Circus: the started and kept pids when waited for (at the top of the reply).
    if (props.waiting === true)
      return await pidChanges(watcher, () => change.watcher(watcher).start(), false);
    // Otherwise the reply says the watcher is there; its start is the next change in line.
    arbiter
      .exclusive((next) => next.watcher(watcher).start())
      .catch((error: unknown) =>
        logger.error(`add: cannot start ${watcher.name}: ${(error as Error).message}`),
      );
  },
  message(line) {
    if (line.args.length < 2) throw new ArgumentError("Invalid number of arguments");
    return {
      name: line.args[0],
      cmd: line.args.slice(1).join(" "),
      start: line.options.start === true,
    };
  },
  consoleOutput: (reply) => okOutput(reply),
};
