import type { Watcher } from "../../core/watcher.js";
import type { ChangeCommand } from "../command.js";
import { ArgumentError, MessageError } from "../protocol.js";
import { checkPid, checkTypes, intArg, okOutput, requireProps, toSignum } from "./util.js";

/**
 * The signal number of a request: `signum` as Circus 0.19 names it, or `signal` as the
 * older documents do; the child pid as `childpid` (0.19) or `child_pid`.
 */
function normalize(props: Record<string, unknown>): void {
  if (props.signum === undefined && props.signal !== undefined) props.signum = props.signal;
  if (props.childpid === undefined && props.child_pid !== undefined)
    props.childpid = props.child_pid;
}

/** `signal NAME [PID] [--children] [--recursive] SIGNUM`. */
export const signal: ChangeCommand<Watcher> = {
  name: "signal",
  summary: "Send a signal",
  help: `Send a signal

This command allows you to send a signal to all processes in a watcher, a specific
process in a watcher or its children.

ZMQ Message:
    To send a signal to all the processes of a watcher:
        {"command": "signal", "properties": {"name": <name>, "signum": <signum>}}
    To send a signal to a process:
        {"command": "signal", "properties": {"name": <name>, "pid": <processid>, "signum": <signum>}}
    An optional property "children" sends the signal to all the children rather than the
    process itself:
        {"command": "signal", "properties": {"name": <name>, "pid": <processid>, "signum": <signum>, "children": true}}
    To send a signal to a process child:
        {"command": "signal", "properties": {"name": <name>, "pid": <processid>, "signum": <signum>, "childpid": <childpid>}}
    To send a signal to all the children of the watcher:
        {"command": "signal", "properties": {"name": <name>, "signum": <signum>, "children": true}}
    To send a signal to the process *and* its children, with the recursive option:
        {"command": "signal", "properties": {"name": <name>, "signum": <signum>, "recursive": true}}

Command line:
    $ circusctl signal <name> [<pid>] [--children] [--recursive] <signum>

Options:
    <name>: the name of the watcher
    <pid>: integer, the process id.
    <signum>: the signal number (or name) to send.
    <childpid>: the pid of a child, if any
    <children>: boolean, send the signal to all the children
    <recursive>: boolean, send the signal to the process and its children`,
  mutating: true,
  waits: true,
  options: [
    { name: "children", type: "boolean", help: "Only signal children of the process" },
    { name: "recursive", type: "boolean", help: "Signal parent and children" },
  ],
  watcherArgs: [0],
  validate(props) {
    normalize(props);
    requireProps(props, ["name", "signum"]);
    checkTypes(props, {
      name: "string",
      pid: "integer",
      childpid: "integer",
      children: "boolean",
      recursive: "boolean",
    });
    if (props.childpid !== undefined && props.pid === undefined)
      throw new MessageError("cannot specify childpid without pid");
    props.signum = toSignum(props.signum);
  },
  check: checkPid,
  async execute(change, props, watcher) {
    const signum = props.signum as number;
    const children = props.children === true;
    const recursive = props.recursive === true;
    await change.watcher(watcher).sendSignal(signum, {
      pid: props.pid as number | undefined,
      childPid: props.childpid as number | undefined,
      // --children: the children only; --recursive: the process and every descendant.
      children: children || recursive,
      onlyChildren: children,
      recursive,
    });
  },
  message(line) {
    if (line.args.length < 2 || line.args.length > 3)
      throw new ArgumentError("Invalid number of arguments");
    const props: Record<string, unknown> = {
      name: line.args[0],
      children: line.options.children === true,
      recursive: line.options.recursive === true,
      signum: line.args[line.args.length - 1],
    };
    if (line.args.length === 3) props.pid = intArg(line.args[1] as string, "pid");
    return props;
  },
  consoleOutput: (reply) => okOutput(reply),
};
