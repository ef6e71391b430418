/**
 * A NOTIFY_SOCKET as systemd's sd_notify speaks to it: a unix datagram socket whose messages
 * are `KEY=VALUE` lines, each believed for the pid the kernel says sent it (SO_PASSCRED),
 * whatever it claims. Node's dgram has no unix sockets: the native helper binds and reads.
 */
import { chmodSync, closeSync, rmSync } from "node:fs";
import { native } from "./native.js";
import { watchReadable } from "./sockets.js";

/**
 * One message: its sender's pid and uid, as the kernel vouches for them, and its fields
 * (`READY` -> `1`, `MAINPID` -> ...).
 */
export type NotifyHandler = (
  sender: { pid: number; uid: number },
  fields: Map<string, string>,
) => void;

/** Reads `KEY=VALUE` lines; a line without `=` is ignored, as systemd does. */
export function parseNotify(data: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of data.toString("utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return fields;
}

export class NotifySocket {
  private fd = -1;
  private unwatch: (() => void) | null = null;

  constructor(readonly path: string) {}

  /**
   * Binds and reads until closed. The file is writable by anyone, as systemd's is: a process
   * of any user must reach it, and a message counts only for the pid that sent it.
   */
  open(onMessage: NotifyHandler): void {
    rmSync(this.path, { force: true });
    this.fd = native().unixDgramBind(this.path);
    chmodSync(this.path, 0o666);
    const drain = () => {
      this.unwatch = null;
      if (this.fd < 0) return;
      for (let i = 0; i < 256; i++) {
        const got = native().unixDgramReceive(this.fd);
        if (!got) break;
        const [pid, uid, data] = got;
        if (pid > 0) onMessage({ pid, uid }, parseNotify(data));
      }
      this.unwatch = watchReadable([this.fd], drain);
    };
    this.unwatch = watchReadable([this.fd], drain);
  }

  close(): void {
    this.unwatch?.();
    this.unwatch = null;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.path, { force: true });
  }
}
