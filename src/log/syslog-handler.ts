/**
 * Python's `logging.handlers.SysLogHandler`: `<PRI>message\0` datagrams, over UDP to
 * (host, port) or to a local unix socket such as /dev/log, sent without ever blocking.
 */
import dgram from "node:dgram";
import { isIP } from "node:net";
import { constants as osConstants } from "node:os";
import { UnixDatagramSocket } from "../sys/unix-dgram.js";
import { Handler } from "./handlers.js";
import { CRITICAL, DEBUG, ERROR, INFO, WARNING, type LogRecord } from "./record.js";

const EAGAIN = osConstants.errno.EAGAIN;

/** Python's SysLogHandler.facility_names. */
export const FACILITIES: Record<string, number> = {
  auth: 4,
  authpriv: 10,
  console: 14,
  cron: 9,
  daemon: 3,
  ftp: 11,
  kern: 0,
  lpr: 6,
  mail: 2,
  news: 7,
  ntp: 12,
  security: 13,
  "solaris-cron": 15,
  syslog: 5,
  user: 1,
  uucp: 8,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** SysLogHandler's priority constants. */
const PRIORITIES: Record<string, number> = {
  LOG_EMERG: 0,
  LOG_ALERT: 1,
  LOG_CRIT: 2,
  LOG_ERR: 3,
  LOG_WARNING: 4,
  LOG_NOTICE: 5,
  LOG_INFO: 6,
  LOG_DEBUG: 7,
};

/** A facility's number by its name (`user`, `local0`); undefined for an unknown one. */
export function facilityNumber(name: string): number | undefined {
  return Object.hasOwn(FACILITIES, name) ? FACILITIES[name] : undefined;
}

/** A `SysLogHandler.LOG_*` class constant: a priority or an (unshifted) facility. */
export function syslogConstant(name: string): number | undefined {
  if (Object.hasOwn(PRIORITIES, name)) return PRIORITIES[name];
  if (!/^LOG_[A-Z0-9]+$/.test(name)) return undefined;
  const facility = name === "LOG_SOLCRON" ? "solaris-cron" : name.slice(4).toLowerCase();
  return facilityNumber(facility);
}

/** The syslog severity of each level, as Python's SysLogHandler.mapPriority. */
const SEVERITIES = new Map([
  [DEBUG, 7],
  [INFO, 6],
  [WARNING, 4],
  [ERROR, 3],
  [CRITICAL, 2],
]);

/** A level's severity; "warning", Python's fallback, for other levels. */
function severity(levelno: number): number {
  return SEVERITIES.get(levelno) ?? 4;
}

/** Where SysLogHandler sends: a UDP (host, port) or a local unix socket path. */
export type SyslogAddress = { host: string; port: number } | string;

/** Sends each record as one syslog datagram; call and await {@link open} before use. */
export class SysLogHandler extends Handler {
  private udp: dgram.Socket | null = null;
  private local: UnixDatagramSocket | null = null;
  readonly facility: number;

  constructor(
    readonly address: SyslogAddress = { host: "localhost", port: 514 },
    facility: number = FACILITIES.user!,
  ) {
    super();
    this.facility = facility;
  }

  /** Resolves the host and connects (UDP), or connects to the unix socket; throws when it cannot. */
  async open(): Promise<void> {
    if (typeof this.address === "string") {
      this.local = new UnixDatagramSocket(this.address);
      this.local.open();
      return;
    }
    const { host, port } = this.address;
    const { lookup } = await import("node:dns/promises");
    const family = isIP(host) || (await lookup(host)).family;
    const socket = dgram.createSocket(family === 6 ? "udp6" : "udp4");
    // A syslog server that is down answers with ICMP errors: never let them surface.
    socket.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(port, host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    socket.unref();
    this.udp = socket;
  }

  /** The datagram Python would send for the record. */
  encode(record: LogRecord): Buffer {
    const pri = (this.facility << 3) | severity(record.levelno);
    return Buffer.from(`<${pri}>${this.format(record)}\0`, "utf8");
  }

  protected emit(record: LogRecord): void {
    const data = this.encode(record);
    if (this.udp) {
      // Connected: the datagram goes to the kernel at once; errors are dropped.
      this.udp.send(data, () => undefined);
      return;
    }
    // After a failed reconnection, each line tries again: logging resumes with syslogd.
    this.local ??= new UnixDatagramSocket(this.address as string);
    try {
      this.local.send(data);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).errno === EAGAIN) throw error;
      // syslogd restarted: reconnect once, as Python does.
      this.local.close();
      this.local.send(data);
    }
  }

  override close(): void {
    this.local?.close();
    try {
      this.udp?.close();
    } catch {
      // already closed
    }
    this.udp = null;
  }
}
