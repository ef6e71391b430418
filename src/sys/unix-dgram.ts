/**
 * A datagram socket connected to a local unix socket (a syslog daemon's /dev/log), which
 * Node's dgram cannot open: close-on-exec and non-blocking, through the native helper.
 */
import { closeSync } from "node:fs";
import { native } from "./native.js";

/** One connection to a local socket path, opened on first use and again after a close. */
export class UnixDatagramSocket {
  private fd = -1;

  constructor(readonly path: string) {}

  /** Connects (DGRAM, else STREAM, as Python's SysLogHandler); throws the errno Error. */
  open(): void {
    if (this.fd < 0) this.fd = native().unixDgramOpen(this.path);
  }

  /** Sends one datagram without blocking; throws an Error with errno (EAGAIN: full). */
  send(data: Buffer): void {
    this.open();
    native().unixDgramSend(this.fd, data);
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already closed by the peer's reset: nothing left to release.
    }
    this.fd = -1;
  }
}
