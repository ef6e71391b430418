import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { closeSync, unlinkSync } from "node:fs";
import { native, type NativeSocketOptions } from "./native.js";

export type { NativeSocketOptions } from "./native.js";

/**
 * The numeric address of a host for an inet family, as Circus's getaddrinfo gives it
 * (the first answer). Numeric hosts come back as they are.
 */
export async function resolveHost(host: string, family: "AF_INET" | "AF_INET6"): Promise<string> {
  const found = await lookup(host, { family: family === "AF_INET6" ? 6 : 4 });
  return found.address;
}

/** Binds a socket with the native helper; throws an Error with code, errno and syscall. */
export function bindSocket(options: NativeSocketOptions): { fd: number; port: number } {
  return native().bindSocket(options);
}

/** Closes a bare fd, ignoring one already closed (close must not fail a stop). */
export function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // EBADF: already closed.
  }
}

/** Removes a unix socket file, ignoring one already gone. */
export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // ENOENT: someone removed it already.
  }
}

/**
 * Calls `callback` once when one of the listening fds has a connection (or datagram)
 * waiting, without taking it: the process started for it accepts it. A thread of the
 * native helper polls; it does not keep the event loop alive.
 *
 * @returns a function that stops the watch (no callback after it returns); idempotent.
 */
export function watchReadable(fds: number[], callback: (fd: number) => void): () => void {
  const handle = native().watchReadable(fds, callback);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    native().unwatch(handle);
  };
}

/**
 * True for `localhost` and loopback addresses (127/8, ::1): where circushttpd may serve
 * without users, reachable only from this machine.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "::ffff:127.0.0.1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}
