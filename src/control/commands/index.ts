/**
 * The registry of every control command: the controller dispatches through it, circusctl
 * parses, helps and completes through it. Adding a command is adding its file here.
 */
import type { Command } from "../command.js";
import { add } from "./add.js";
import { decr } from "./decr.js";
import { discover } from "./discover.js";
import { dstats } from "./dstats.js";
import { get } from "./get.js";
import { globaloptions } from "./globaloptions.js";
import { incr } from "./incr.js";
import { kill } from "./kill.js";
import { list } from "./list.js";
import { listen } from "./listen.js";
import { listsockets } from "./listsockets.js";
import { logs } from "./logs.js";
import { numprocesses } from "./numprocesses.js";
import { numwatchers } from "./numwatchers.js";
import { options } from "./options.js";
import { quit } from "./quit.js";
import { reload } from "./reload.js";
import { reloadconfig } from "./reloadconfig.js";
import { restart } from "./restart.js";
import { rm } from "./rm.js";
import { set } from "./set.js";
import { signal } from "./signal.js";
import { start } from "./start.js";
import { stats } from "./stats.js";
import { status } from "./status.js";
import { stop } from "./stop.js";

/** Every command, sorted by name (the order of circusctl's `help`). */
export const COMMANDS: Command[] = [
  add,
  decr,
  discover,
  dstats,
  get,
  globaloptions,
  incr,
  kill,
  list,
  listen,
  listsockets,
  logs,
  numprocesses,
  numwatchers,
  options,
  quit,
  reload,
  reloadconfig,
  restart,
  rm,
  set,
  signal,
  start,
  stats,
  status,
  stop,
];

const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]));

/** The command of that name (case-insensitive, as Circus), or undefined. */
export function getCommand(name: string): Command | undefined {
  return BY_NAME.get(name.toLowerCase());
}
