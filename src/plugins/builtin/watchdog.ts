/**
 * Circus's `circus.plugins.watchdog.WatchDog`: watched processes send UDP heartbeats (a line
 * such as `PID;TIMESTAMP`, read with `msg_regex`) to `ip:port`; one that sends none for
 * `loop_rate * max_count` seconds is killed through the `kill` command, and circusd respawns
 * it. A process that never sent one counts from when the watchdog first saw it.
 */
import { createSocket, type Socket } from "node:dgram";
import { logger } from "../../log/logger.js";
import { parseSignal } from "../../sys/signals.js";
import { PluginOptionError, readOptions } from "../options.js";
import { CircusPlugin } from "../plugin.js";

/** A watched process: its watcher and when it last showed life (ms). */
interface Watched {
  watcher: string;
  lastActivity: number;
}

/** The documented options and their defaults (`watchers_*`: the reference's overrides). */
const OPTIONS = {
  loop_rate: { type: "number", default: "60", above: 0 },
  watchers_regex: { type: "regex", default: ".*" },
  msg_regex: { type: "regex", default: "^(?P<pid>.*);(?P<timestamp>.*)$" },
  max_count: { type: "int", default: "3", min: 1 },
  ip: { type: "string", default: "127.0.0.1" },
  port: { type: "int", default: "1664", min: 0, max: 65535 },
  watchers_stop_signal: { type: "string" },
  watchers_graceful_timeout: { type: "number", min: 0 },
} as const;

/** Python's `re.match`: anchored at the start only (a sticky copy of the pattern). */
function matcher(regex: RegExp): (text: string) => RegExpExecArray | null {
  const sticky = new RegExp(regex.source, `${regex.flags.replace("y", "")}y`);
  return (text) => {
    sticky.lastIndex = 0;
    return sticky.exec(text);
  };
}

/** A heartbeat pattern must find the pid. */
function pidPattern(regex: RegExp): RegExp {
  if (!/\(\?<pid>/.test(regex.source))
    throw new PluginOptionError("msg_regex", "must have a group named pid: (?P<pid>...)");
  return regex;
}

function stopSignalOf(text: string | undefined): number | null {
  if (text === undefined) return null;
  const signum = parseSignal(text);
  if (signum === null)
    throw new PluginOptionError("watchers_stop_signal", `unknown signal ${text}`);
  return signum;
}

/** Kills the watched processes that stopped sending heartbeats. */
export class WatchDog extends CircusPlugin {
  /** The documented options and their defaults. */
  static readonly options = OPTIONS;

  override name = "watchdog";
  readonly opts = readOptions(OPTIONS, this.config);
  /** `watchers_stop_signal` as a number, when given. */
  readonly stopSignal = stopSignalOf(this.opts.watchers_stop_signal);
  private readonly matchWatcher = matcher(this.opts.watchers_regex);
  private readonly matchMessage = matcher(pidPattern(this.opts.msg_regex));
  /** The watched processes by pid. */
  private readonly pidStatus = new Map<number, Watched>();
  /** Pids told to die and still listed (stopping): not watched again. */
  private readonly killed = new Set<number>();
  private socket: Socket | null = null;

  /** Binds the UDP socket, takes stock of the running processes, then looks every loop_rate. */
  override async handleInit(): Promise<void> {
    this.socket = await this.bind();
    await this.discover();
    this.every(this.opts.loop_rate, () => this.lookAfter());
  }

  override handleStop(): void {
    this.socket?.close();
    this.socket = null;
  }

  /** spawn: a new process to watch; reap: one gone. */
  override handleRecv(topic: string, message: string): void {
    const { watcher, action } = CircusPlugin.splitTopic(topic);
    if (!this.watches(watcher) || (action !== "spawn" && action !== "reap")) return;
    const pid = Number(CircusPlugin.loadMessage(message).process_pid);
    if (!Number.isInteger(pid)) return void logger.warning("no process_pid in message");
    if (action === "spawn") {
      this.killed.delete(pid);
      this.pidStatus.set(pid, { watcher, lastActivity: Date.now() });
      logger.info(`added new monitored pid for ${watcher}:${pid}`);
    } else if (this.pidStatus.delete(pid)) {
      logger.info(`removed monitored pid for ${watcher}:${pid}`);
    }
  }

  /**
   * Whether a watcher is watched. The plugins' own watchers never are: they send no
   * heartbeat, and the default `.*` would have the watchdog kill itself.
   */
  private watches(watcher: string): boolean {
    return !watcher.startsWith("plugin:") && this.matchWatcher(watcher) !== null;
  }

  private bind(): Promise<Socket> {
    const { ip, port } = this.opts;
    const socket = createSocket(ip.includes(":") ? "udp6" : "udp4");
    return new Promise((resolve, reject) => {
      socket.once("error", (error) => {
        logger.error(`Problem while binding watchdog socket on ${ip}:${port} (${error.message})`);
        socket.close();
        reject(error);
      });
      socket.bind(port, ip, () => {
        socket.removeAllListeners("error");
        socket.on("error", (error) => logger.error(`watchdog socket: ${error.message}`));
        socket.on("message", (data) => this.heartbeat(data.toString()));
        logger.info(`Watchdog listening UDP on ${ip}:${port}`);
        resolve(socket);
      });
    });
  }

  /** A datagram: the pid it names shows life. */
  private heartbeat(text: string): void {
    const match = this.matchMessage(text.replace(/\r?\n$/, ""));
    const pid = Number(match?.groups?.pid?.trim());
    if (!Number.isInteger(pid)) return void logger.warning(`unreadable heartbeat: ${text}`);
    const status = this.pidStatus.get(pid);
    if (status) status.lastActivity = Date.now();
    else logger.warning(`received watchdog for a non monitored process: ${text}`);
    logger.debug(`watchdog message: ${text}`);
  }

  /**
   * Takes stock of the watched processes from `list`. Events keep the table up to date, but
   * pub/sub may drop some (a late subscriber): a pid listed and unknown is watched from
   * now, a pid known and no longer listed is forgotten.
   */
  private async discover(): Promise<void> {
    const reply = await this.call("list");
    if (reply.status !== "ok") throw new Error(`list: ${String(reply.reason)}`);
    const listed = new Set<number>();
    for (const watcher of (reply.watchers as string[]).filter((w) => this.watches(w))) {
      const processes = await this.call("list", { name: watcher });
      if (processes.status !== "ok") continue; // removed meanwhile
      for (const pid of processes.pids as number[]) {
        listed.add(pid);
        if (this.pidStatus.has(pid) || this.killed.has(pid)) continue;
        this.pidStatus.set(pid, { watcher, lastActivity: Date.now() });
        logger.info(`discovered: ${watcher}, pid:${pid}`);
      }
    }
    for (const pid of this.pidStatus.keys()) if (!listed.has(pid)) this.pidStatus.delete(pid);
    for (const pid of this.killed) if (!listed.has(pid)) this.killed.delete(pid);
  }

  /** Kills every process silent for loop_rate * max_count seconds. */
  private async lookAfter(): Promise<void> {
    await this.discover();
    const tooOld = Date.now() - this.opts.loop_rate * this.opts.max_count * 1000;
    for (const [pid, { watcher, lastActivity }] of this.pidStatus) {
      if (lastActivity >= tooOld) continue;
      logger.info(`watcher:${watcher}, pid:${pid} is not responding. Kill it !`);
      const props: Record<string, unknown> = { name: watcher, pid };
      if (this.stopSignal !== null) props.signum = this.stopSignal;
      if (this.opts.watchers_graceful_timeout !== undefined)
        props.graceful_timeout = this.opts.watchers_graceful_timeout;
      this.cast("kill", props);
      // circusd stops it (SIGKILL after graceful_timeout at worst): no need to kill it again.
      this.pidStatus.delete(pid);
      this.killed.add(pid);
    }
  }
}
