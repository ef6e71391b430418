import type { OutputLine } from "../../streams/index.js";
import type { Command } from "../command.js";
import { ArgumentError, MessageError } from "../protocol.js";
import { checkArgs, checkTypes, consoleError, getWatcher } from "./util.js";

/** Lines per process and pipe when the request does not say. */
const DEFAULT_LINES = 10;

/** The pub/sub topic that carries a watcher's output live (every watcher's without a name). */
export function logsTopic(watcher?: string): string {
  return watcher === undefined ? "logs." : `logs.${watcher.toLowerCase()}.`;
}

/** `web 1234 out | text`: how circusctl prints a line of output. */
export function formatLogLine(line: Pick<OutputLine, "watcher" | "pid" | "stream" | "line">) {
  return `${line.watcher} ${line.pid} ${line.stream === "stderr" ? "err" : "out"} | ${line.line}`;
}

/**
 * `logs [NAME] [-n LINES] [-f]`: the last lines of every process's stdout and stderr, from
 * the ring circusd keeps for each watcher whatever its streams. Beyond Circus (Supervisor's
 * `tail`, PM2's `logs`).
 */
export const logs: Command = {
  name: "logs",
  summary: "Show the last output lines of the processes",
  help: `Show the last lines each process wrote on stdout and stderr

circusd keeps the newest output of every watcher in a small ring (whatever stream the
watcher has), and publishes new output on the pub/sub topic logs.<watcher>.<pid>.<stream>
while someone subscribes to a topic starting with "logs.".

ZMQ Message:
    {
        "command": "logs",
        "properties": {"name": "nameofwatcher", "lines": 10}
    }

"name" is optional (every watcher when absent); "lines" is the count per process and
stream (default 10). The response lists the lines, oldest first:
    {"status": "ok", "logs": [{"watcher": "web", "pid": 1234, "stream": "stdout",
      "time": 1700000000.1, "line": "hello"}, ...], "topic": "logs.web."}

Command line:
    $ circusctl logs [<name>] [-n <lines>] [-f]

Options:
    -n, --lines N   lines per process and stream (default 10)
    -f, --follow    then print new output as it comes, until interrupted`,
  mutating: false,
  options: [
    { name: "lines", short: "n", type: "string", help: "Lines per process and stream" },
    { name: "follow", short: "f", type: "boolean", help: "Print new output as it comes" },
  ],
  watcherArgs: [0],
  validate(props) {
    checkTypes(props, { name: "string", lines: "integer" });
    if (typeof props.lines === "number" && props.lines < 0)
      throw new MessageError("'lines' should be a positive integer");
  },
  execute(arbiter, props) {
    const name = props.name === undefined || props.name === null ? undefined : String(props.name);
    const watchers = name === undefined ? arbiter.iterWatchers() : [getWatcher(arbiter, name)];
    const count = typeof props.lines === "number" ? props.lines : DEFAULT_LINES;
    const lines = watchers.flatMap((w) => (count === 0 ? [] : w.output.ring.lines(count)));
    lines.sort((a, b) => a.time - b.time);
    return { logs: lines, topic: logsTopic(name) };
  },
  message(line) {
    checkArgs(line, 0, 1);
    const props: Record<string, unknown> = {};
    if (line.args[0] !== undefined) props.name = line.args[0].toLowerCase();
    const lines = line.options.lines;
    if (typeof lines === "string") {
      if (!/^\d+$/.test(lines.trim())) throw new ArgumentError("lines should be an integer");
      props.lines = Number(lines);
    }
    return props;
  },
  consoleOutput(reply) {
    if (reply.status !== "ok") return consoleError(reply);
    const lines = (reply.logs as OutputLine[]) ?? [];
    return lines.map(formatLogLine).join("\n");
  },
};
