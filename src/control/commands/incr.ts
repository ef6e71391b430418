import type { Arbiter, Change } from "../../core/arbiter.js";
import type { Watcher } from "../../core/watcher.js";
import type { ChangeCommand, CommandLine } from "../command.js";
import { consoleError, checkTypes, getWatcher, intArg, requireProps, WAITING } from "./util.js";
import { ArgumentError } from "../protocol.js";

/**
 * incr and decr: change a watcher's process count by `nb` (1 by default). A singleton
 * keeps its one process and says so.
 */
export function resize(sign: 1 | -1) {
  const singleton = (watcher: Watcher) => ({ numprocesses: watcher.numprocesses, singleton: true });
  return {
    validate(props: Record<string, unknown>): void {
      requireProps(props, ["name"]);
      checkTypes(props, { name: "string", nb: "integer", waiting: "boolean" });
    },
    // A singleton's answer needs no waiting; the others' count is only said when waited for.
    check: (arbiter: Arbiter, props: Record<string, unknown>) => getWatcher(arbiter, props.name),
    accepted: (watcher: Watcher) => (watcher.config.singleton ? singleton(watcher) : undefined),
    async execute(change: Change, props: Record<string, unknown>, watcher: Watcher) {
      const changes = change.watcher(watcher);
      if (watcher.config.singleton) return singleton(watcher);
      // The count as it is when this change's turn comes, after those queued before it.
      const nb = (props.nb as number | undefined) ?? 1;
      const count = Math.max(0, watcher.config.numprocesses + sign * nb);
      return { numprocesses: await changes.setNumprocesses(count) };
    },
    message(line: CommandLine) {
      if (line.args.length < 1 || line.args.length > 2)
        throw new ArgumentError("Invalid number of arguments");
      const props: Record<string, unknown> = { name: line.args[0] };
      if (line.args[1] !== undefined) props.nb = intArg(line.args[1], "nb");
      if (line.options.waiting === true) props.waiting = true;
      return props;
    },
    consoleOutput(reply: Record<string, unknown>): string {
      if (reply.status !== "ok") return consoleError(reply);
      if ("singleton" in reply)
        return "This watcher is a Singleton - not changing the number of processes";
      return String(reply.numprocesses ?? "ok");
    },
  };
}

/** `incr NAME [NB] [--waiting]`. */
export const incr: ChangeCommand<Watcher> = {
  name: "incr",
  summary: "Increment the number of processes in a watcher",
  help: `Increment the number of processes in a watcher

This command increments the number of processes in a watcher by <nb>, 1 being the default.

ZMQ Message:
    {"command": "incr", "properties": {"name": "<watchername>", "nb": <nbprocess>, "waiting": false}}

The response returns the number of processes in the 'numprocesses' property:
    {"status": "ok", "numprocesses": <n>, "time", "timestamp"}

Command line:
    $ circusctl incr <name> [<nb>] [--waiting]

Options:
    <name>: name of the watcher.
    <nb>: the number of processes to add.`,
  mutating: true,
  options: [WAITING],
  watcherArgs: [0],
  ...resize(1),
};
