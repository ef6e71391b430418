import type { Command } from "../command.js";
import { pyRepr } from "../../python/repr.js";
import { MessageError } from "../protocol.js";
import { infoText, processInfo, type Info } from "../process-stats.js";
import type { Watcher } from "../../core/watcher.js";
import type { Process } from "../../core/process.js";
import { sampleContext, type SampleContext } from "../../stats/process-info.js";
import { checkArgs, checkTypes, consoleError, getWatcher, intArg } from "./util.js";

/** A process's info, with `ready` (ours) when its watcher has a readiness probe. */
function infoOf(watcher: Watcher, p: Process, ctx?: SampleContext): Info | string {
  const info = processInfo(p, ctx);
  if (!watcher.readiness.probed || typeof info === "string") return info;
  return { ...info, ready: watcher.readiness.isReady(p) };
}

/** pid -> info of every process of a watcher (JSON object keys are the pids). */
function watcherInfo(watcher: Watcher, ctx = sampleContext()): Record<string, Info | string> {
  return Object.fromEntries(
    [...watcher.processes.values()].map((p) => [p.pid, infoOf(watcher, p, ctx)]),
  );
}

/** --extended: the watcher's extended_stats hook adds its figures to each process's mapping. */
async function extend(watcher: Watcher, infos: Record<string, Info | string>): Promise<void> {
  for (const [pid, info] of Object.entries(infos))
    if (typeof info !== "string")
      await watcher.extendStats(Number(pid), info as unknown as Record<string, unknown>);
}

/** `stats [--extended] [NAME [PID]]`: CPU, memory and more per process. */
export const stats: Command = {
  name: "stats",
  summary: "Get process infos",
  help: `Get process infos

You can get at any time some statistics about your processes with the stats command.

ZMQ Message:
    To get stats for all watchers:
        {"command": "stats"}
    To get stats for a watcher:
        {"command": "stats", "properties": {"name": <name>}}
    To get stats for a process:
        {"command": "stats", "properties": {"name": <name>, "process": <processid>}}

Stats can be extended with the extended_stats hook but extended stats need to be
requested with "extended": true.

The response returns an object per process with the property "info" containing some
process information: pid, cpu, mem, mem_info1, mem_info2, ctime, nice, username, cmdline,
create_time, age, started, children, wid.

Command line:
    $ circusctl stats [--extended] [<watchername>] [<processid>]`,
  mutating: false,
  watcherArgs: [0],
  options: [{ name: "extended", type: "boolean", help: "Include info from extended_stats hook" }],
  validate: (props) => checkTypes(props, { name: "string", extended: "boolean" }),
  async execute(arbiter, props) {
    if (props.name === undefined) {
      const ctx = sampleContext();
      return {
        infos: Object.fromEntries(arbiter.watchers.map((w) => [w.name, watcherInfo(w, ctx)])),
      };
    }
    const watcher = getWatcher(arbiter, props.name);
    const extended = props.extended === true;
    if (props.process !== undefined) {
      // Circus takes the pid as int(process): a numeric string names a process too.
      const pid = Number(props.process);
      const p = Number.isInteger(pid) ? watcher.processes.get(pid) : undefined;
      if (!p)
        throw new MessageError(
          `process ${pyRepr(props.process)} not found in ${pyRepr(props.name)}`,
        );
      const info = infoOf(watcher, p);
      if (extended) await extend(watcher, { [p.pid]: info });
      return { process: props.process, info };
    }
    const info = watcherInfo(watcher);
    if (extended) await extend(watcher, info);
    return { name: props.name, info };
  },
  message(line) {
    checkArgs(line, 0, 2);
    const extended = line.options.extended === true;
    const props: Record<string, unknown> = { extended };
    if (line.args[0] !== undefined) props.name = line.args[0];
    if (line.args[1] !== undefined) props.process = intArg(line.args[1], "processid");
    return props;
  },
  consoleOutput(reply) {
    if (reply.status !== "ok") return consoleError(reply);
    const lines = (infos: unknown) =>
      Object.entries((infos ?? {}) as Record<string, unknown>).map(
        ([pid, info]) => `${pid}: ${infoText(info)}`,
      );
    if ("name" in reply) return [`${String(reply.name)}:`, ...lines(reply.info)].join("\n");
    if ("infos" in reply) {
      const out: string[] = [];
      for (const [name, infos] of Object.entries(reply.infos as Record<string, unknown>))
        out.push(`${name}:`, ...lines(infos));
      return out.join("\n");
    }
    return `${String(reply.process)}: ${infoText(reply.info)}\n`;
  },
};
