import type { CpuSample } from "../../stats/process-info.js";
import type { Command } from "../command.js";
import { daemonInfoText, getInfo, type Info } from "../process-stats.js";
import { checkArgs, consoleError } from "./util.js";

/** circusd's own CPU is measured between two dstats calls, as psutil's cpu_percent does. */
const daemonCpu: CpuSample = { ticks: 0, at: 0 };

/** `dstats`: circusd's own figures. */
export const dstats: Command = {
  name: "dstats",
  summary: "Get circusd stats",
  help: `Get circusd stats

You can get at any time some statistics about circusd with the dstats command.

ZMQ Message:
    {"command": "dstats"}

The response returns a mapping with the property "info" containing some process
information: children, cmdline, cpu, ctime, mem, mem_info1, mem_info2, nice, pid, username.

Command line:
    $ circusctl dstats`,
  mutating: false,
  validate: () => {},
  execute: () => ({ info: getInfo(process.pid, daemonCpu) }),
  message(line) {
    checkArgs(line, 0, 0);
    return {};
  },
  consoleOutput: (reply) =>
    reply.status === "ok" ? daemonInfoText(reply.info as Info) : consoleError(reply),
};
