/**
 * What start, stop and restart share (Circus's execute_watcher_start_stop_restart): a name
 * or pattern picks the watchers; one match is handled by the watcher itself, several by the
 * arbiter in priority order, none named by the arbiter for every watcher.
 */
import type { Arbiter, Change } from "../../core/arbiter.js";
import type { Watcher } from "../../core/watcher.js";
import type { ChangeCommand, CommandLine } from "../command.js";
import { ArgumentError, MessageError } from "../protocol.js";
import { checkMatch, checkTypes, MATCH, matchWatchers, okOutput, WAITING } from "./util.js";

export type Action = "start" | "stop" | "restart";

/** Property checks of the three commands. */
function validateStartStop(props: Record<string, unknown>): void {
  checkTypes(props, { name: "string", waiting: "boolean", match: "string", gave_up: "string" });
  checkMatch(props);
}

/** Before queueing: the pattern must match a watcher; the plan is the watchers it matched. */
function checkStartStop(arbiter: Arbiter, props: Record<string, unknown>): Watcher[] | null {
  return props.name === undefined ? null : matchWatchers(arbiter, props);
}

/**
 * What a watcher's start, restart or reload did, as Circus replies it when waited for: the
 * pids it stopped, started and kept (none before when the watcher was stopped).
 */
export async function pidChanges(
  watcher: Watcher,
  run: () => Promise<unknown>,
  withStopped: boolean,
): Promise<Record<string, number[]>> {
  const before = new Set(watcher.status() === "stopped" ? [] : watcher.processes.keys());
  await run();
  const after = new Set(watcher.processes.keys());
  const sorted = (pids: Iterable<number>) => [...pids].sort((a, b) => a - b);
  const changes: Record<string, number[]> = {};
  if (withStopped) changes.stopped = sorted([...before].filter((pid) => !after.has(pid)));
  changes.started = sorted([...after].filter((pid) => !before.has(pid)));
  changes.kept = sorted([...after].filter((pid) => before.has(pid)));
  return changes;
}

/** Runs the action; a single named watcher answers `{"info": ...}` when waited for. */
async function runStartStop(
  change: Change,
  matched: Watcher[] | null,
  action: Action,
  gaveUp?: unknown,
): Promise<Record<string, unknown> | void> {
  if (matched === null) {
    if (action !== "start") await change.stopWatchers();
    if (action !== "stop") await change.startWatchers();
    return;
  }
  // Those a change queued before this one removed are gone; none left is an unknown name.
  const watchers = matched.filter((w) => change.arbiter.watchers.includes(w));
  if (watchers.length === 0)
    throw new MessageError(`program ${String(matched[0]?.name)} not found`);
  if (watchers.length === 1) {
    const watcher = watchers[0] as Watcher;
    const changes = change.watcher(watcher);
    if (action === "stop") {
      await changes.stop();
      // Beyond Circus: the Flapping plugin's last stop says it leaves the watcher stopped.
      if (typeof gaveUp === "string") watcher.emit("gaveUp", gaveUp);
      return { info: null };
    }
    const run = action === "start" ? () => changes.start() : () => changes.restart();
    return { info: await pidChanges(watcher, run, action === "restart") };
  }
  const byPriority = [...watchers].sort((a, b) => b.config.priority - a.config.priority);
  if (action !== "start")
    await Promise.all([...byPriority].reverse().map((w) => change.watcher(w).stop()));
  // As Circus's start_watchers: by priority, autostart watchers only.
  if (action !== "stop") await change.startWatchers(byPriority);
}

/** `[name] [--waiting] [--match=...]` into properties. */
function startStopMessage(line: CommandLine): Record<string, unknown> {
  if (line.args.length > 1) throw new ArgumentError("Invalid number of arguments");
  const props: Record<string, unknown> = {};
  if (line.args[0] !== undefined) props.name = line.args[0];
  if (line.options.waiting === true) props.waiting = true;
  if (typeof line.options.match === "string") props.match = line.options.match;
  return props;
}

/**
 * The start, stop or restart command: the three differ only in their action and words.
 * `does` completes "This command ..." in the help.
 */
export function startStopCommand(action: Action, does: string): ChangeCommand<Watcher[] | null> {
  const title = `${action[0]?.toUpperCase()}${action.slice(1)} watchers`;
  return {
    name: action,
    summary: title,
    help: `${title}

This command ${does}

ZMQ Message:
    {
        "command": "${action}",
        "properties": {"name": "<name>", "waiting": false, "match": "[simple|glob|regex]"}
    }

The response returns the status "ok".

If the "name" property is present, the ${action} applies to the watcher(s) of that name or
pattern; otherwise to every watcher.

If "waiting" is false (default), the call returns immediately; if true, only when the
${action} is completely ended (which can take up to graceful_timeout).

The "match" parameter can have the value "simple" for string compare, "glob" for
wildcard matching (default) or "regex" for regex matching.

Command line:
    $ circusctl ${action} [name] [--waiting] [--match=simple|glob|regex]

Options:
    <name>: name or pattern of the watcher(s)
    <match>: watcher match method`,
    mutating: true,
    options: [WAITING, MATCH],
    watcherArgs: [0],
    validate: validateStartStop,
    check: checkStartStop,
    execute: (change, props, matched) => runStartStop(change, matched, action, props.gave_up),
    message: startStopMessage,
    consoleOutput: (reply) => okOutput(reply),
  };
}
