import type { Arbiter } from "../../core/arbiter.js";
import type { Watcher } from "../../core/watcher.js";
import type { Command } from "../command.js";
import { checkTypes, consoleError, getWatcher, nameArg } from "./util.js";

/** ` (9990 of 10000 running: REASON; retrying)`, or nothing without a shortfall. */
function describeShortfall(value: unknown): string {
  if (!value || typeof value !== "object") return "";
  const { running, numprocesses, reason } = value as Record<string, unknown>;
  return ` (${running} of ${numprocesses} running: ${reason}; retrying)`;
}

/** ` (for db, cache)` of a waiting watcher, ` (3 of 4 ready)` of one with a probe. */
function describeWaitAndReady(waiting: unknown, readiness: unknown): string {
  if (Array.isArray(waiting)) return ` (for ${waiting.join(", ")})`;
  if (!readiness || typeof readiness !== "object") return "";
  const { ready, of } = readiness as Record<string, unknown>;
  return ` (${ready} of ${of} ready)`;
}

/** What status adds for one watcher beyond Circus: depends_on waits, readiness counts. */
function extras(arbiter: Arbiter, watcher: Watcher): { waiting?: string[]; readiness?: object } {
  const waiting = arbiter.waitingFor(watcher);
  if (waiting) return { waiting };
  if (!watcher.readiness.probed || !watcher.isActive()) return {};
  const ready = watcher.readiness.countReady(watcher.processes.values());
  return { readiness: { ready, of: watcher.numprocesses } };
}

/** `status [NAME]`: a watcher's state, or every watcher's. */
export const status: Command = {
  name: "status",
  summary: "Get the status of a watcher or all watchers",
  help: `Get the status of a watcher or all watchers

ZMQ Message:
    {"command": "status", "properties": {"name": "<name>"}}

The response returns the status "active", "stopped", "starting" or "stopping" of the
watcher, or, without a name, a mapping "statuses" of every watcher's status.

Beyond Circus: while a resource limit (open files, processes, memory) holds a watcher's
spawns back, it stays active with the processes it has and retries; the response then adds
"shortfall" (with a name) or "shortfalls" (name -> shortfall) with "running",
"numprocesses", "errno" and "reason", and circusctl prints them after the status. A watcher
whose start waits for those it depends on (depends_on) has the status "waiting", and the
response adds "waiting" (the names) or "waits" (name -> names); one with a readiness probe
adds "readiness" (or "readinesses"): {"ready": N, "of": numprocesses}.

Command line:
    $ circusctl status [<name>]

Example:
    $ circusctl status dummy
    active
    $ circusctl status
    dummy: active
    dummy2: active
    refuge: active`,
  mutating: false,
  watcherArgs: [0],
  validate: (props) => checkTypes(props, { name: "string" }),
  execute(arbiter, props) {
    const statusOf = (w: Watcher) => (arbiter.waitingFor(w) ? "waiting" : w.status());
    if (props.name !== undefined) {
      const watcher = getWatcher(arbiter, props.name);
      const shortfall = watcher.shortfall();
      return {
        status: statusOf(watcher),
        ...(shortfall && { shortfall }),
        ...extras(arbiter, watcher),
      };
    }
    const statuses = Object.fromEntries(arbiter.watchers.map((w) => [w.name, statusOf(w)]));
    const short = arbiter.watchers.flatMap((w) => {
      const shortfall = w.shortfall();
      return shortfall ? [[w.name, shortfall] as const] : [];
    });
    const more = arbiter.watchers.map((w) => [w.name, extras(arbiter, w)] as const);
    const waits = more.flatMap(([n, e]) => (e.waiting ? [[n, e.waiting] as const] : []));
    const readinesses = more.flatMap(([n, e]) => (e.readiness ? [[n, e.readiness] as const] : []));
    return {
      statuses,
      ...(short.length > 0 && { shortfalls: Object.fromEntries(short) }),
      ...(waits.length > 0 && { waits: Object.fromEntries(waits) }),
      ...(readinesses.length > 0 && { readinesses: Object.fromEntries(readinesses) }),
    };
  },
  message: nameArg,
  consoleOutput(reply) {
    if (reply.statuses && typeof reply.statuses === "object") {
      const statuses = reply.statuses as Record<string, string>;
      const shortfalls = (reply.shortfalls ?? {}) as Record<string, unknown>;
      const waits = (reply.waits ?? {}) as Record<string, unknown>;
      const readinesses = (reply.readinesses ?? {}) as Record<string, unknown>;
      return Object.keys(statuses)
        .sort()
        .map(
          (name) =>
            `${name}: ${statuses[name]}${describeShortfall(shortfalls[name])}` +
            describeWaitAndReady(waits[name], readinesses[name]),
        )
        .join("\n");
    }
    if (reply.status !== "error")
      return (
        String(reply.status) +
        describeShortfall(reply.shortfall) +
        describeWaitAndReady(reply.waiting, reply.readiness)
      );
    return consoleError(reply);
  },
};
