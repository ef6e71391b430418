/**
 * circusd's own sd_notify: under systemd with `Type=notify`, $NOTIFY_SOCKET names where to
 * say READY=1 (once the watchers are up), RELOADING=1 (a SIGHUP's reload) and STOPPING=1.
 * Without the variable, nothing is sent. The variable is taken out of circusd's environment,
 * so that no process it starts (copy_env) talks to systemd in its name.
 */
import { logger } from "../log/logger.js";
import { UnixDatagramSocket } from "./unix-dgram.js";

let socket: UnixDatagramSocket | null | undefined;

function notifySocket(): UnixDatagramSocket | null {
  if (socket !== undefined) return socket;
  const path = process.env.NOTIFY_SOCKET;
  delete process.env.NOTIFY_SOCKET;
  // An abstract socket (`@name`) is the kernel's `\0name`.
  socket = path ? new UnixDatagramSocket(path.startsWith("@") ? `\0${path.slice(1)}` : path) : null;
  return socket;
}

/** Reads $NOTIFY_SOCKET now (and takes it out of the environment the children inherit). */
export function takeNotifySocket(): void {
  notifySocket();
}

/** Sends `KEY=VALUE` lines to systemd, if it asked for them; a failure is logged, not thrown. */
export function sdNotify(fields: Record<string, string | number>): void {
  const target = notifySocket();
  if (!target) return;
  const text = Object.entries({ ...fields, MAINPID: process.pid })
    .map(([key, value]) => `${key}=${value}`)
    .join("\n");
  try {
    target.send(Buffer.from(text));
  } catch (error) {
    logger.warning(`sd_notify to ${target.path}: ${(error as Error).message}`);
  }
}
