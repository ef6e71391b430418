/**
 * The permissions circusd gives the files it creates or writes (its pidfile, its logs, the
 * socket files of its ipc endpoints), whatever the umask it runs with.
 */
import { chmodSync, fchmodSync, fstatSync, statSync } from "node:fs";

/**
 * Takes the "others may write" bit off a regular file, when it has it (never off a device
 * or a FIFO that a log may be written to, such as /dev/null).
 */
export function notWorldWritable(file: string | number): void {
  const stat = typeof file === "number" ? fstatSync(file) : statSync(file);
  const mode = stat.mode & 0o7777;
  if (!stat.isFile() || (mode & 0o002) === 0) return;
  if (typeof file === "number") fchmodSync(file, mode & ~0o002);
  else chmodSync(file, mode & ~0o002);
}

/** The socket file of an `ipc://PATH` endpoint, read-write for its owner only. */
export function ownerOnlyIpc(endpoint: string): void {
  if (!endpoint.startsWith("ipc://")) return;
  const file = endpoint.slice("ipc://".length);
  // ipc://@name is in the abstract namespace: no file.
  if (file.startsWith("@")) return;
  chmodSync(file, 0o600);
}
