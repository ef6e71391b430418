import type { Watcher } from "../../core/watcher.js";
import type { ChangeCommand } from "../command.js";
import { ArgumentError } from "../protocol.js";
import { checkPid, checkTypes, okOutput, requireProps, toSignum, WAITING } from "./util.js";

/** `kill NAME [PID] [--signum S] [--graceful_timeout T]`: stops processes; they are respawned. */
export const kill: ChangeCommand<Watcher> = {
  name: "kill",
  summary: "Kill a specific process",
  help: `Kill a specific process

This command allows you to terminate a process in a watcher. If a process does not exit
within graceful_timeout it is terminated with a SIGKILL. The watcher then respawns it.

ZMQ Message:
    To kill all the processes of a watcher:
        {"command": "kill", "properties": {"name": <name>, "signum": <signum>, "graceful_timeout": <graceful_timeout>}}
    To kill a specific process:
        {"command": "kill", "properties": {"name": <name>, "pid": <processid>, "signum": <signum>, "graceful_timeout": <graceful_timeout>}}

Command line:
    $ circusctl kill <name> [<pid>] [--signum] [--graceful_timeout]

Options:
    <name>: the name of the watcher
    <pid>: integer, the process id
    <signum>: overrides the watcher's stop_signal (number or name)
    <graceful_timeout>: overrides the watcher's graceful_timeout`,
  mutating: true,
  options: [
    WAITING,
    {
      name: "signum",
      type: "string",
      help: "overrides the watcher's stop_signal (number or name)",
    },
    { name: "graceful_timeout", type: "string", help: "overrides the watcher's graceful_timeout" },
  ],
  watcherArgs: [0],
  validate(props) {
    requireProps(props, ["name"]);
    if (typeof props.pid === "string" && /^\d+$/.test(props.pid)) props.pid = Number(props.pid);
    if (typeof props.graceful_timeout === "string" && props.graceful_timeout.trim() !== "")
      props.graceful_timeout = Number(props.graceful_timeout);
    checkTypes(props, {
      name: "string",
      pid: "integer",
      graceful_timeout: "number",
      waiting: "boolean",
    });
    if (props.signum !== undefined && props.signum !== null) props.signum = toSignum(props.signum);
  },
  check: checkPid,
  async execute(change, props, watcher) {
    const changes = change.watcher(watcher);
    const targets = [...watcher.processes.values()].filter(
      (p) => props.pid === undefined || p.pid === props.pid,
    );
    const signum = props.signum as number | undefined;
    const timeout = props.graceful_timeout as number | undefined;
    await Promise.all(targets.map((p) => changes.killProcess(p, signum, timeout)));
    // A killed process is one to replace, as Circus's next manage_watchers does.
    await changes.manage();
  },
  message(line) {
    if (line.args.length < 1 || line.args.length > 2)
      throw new ArgumentError("Invalid number of arguments");
    const props: Record<string, unknown> = { name: line.args[0] };
    if (line.args[1] !== undefined) props.pid = line.args[1];
    if (typeof line.options.signum === "string") props.signum = line.options.signum;
    if (typeof line.options.graceful_timeout === "string")
      props.graceful_timeout = line.options.graceful_timeout;
    if (line.options.waiting === true) props.waiting = true;
    return props;
  },
  consoleOutput: (reply) => okOutput(reply),
};
