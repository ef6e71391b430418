/**
 * A process's TCP sockets, read from /proc: which addresses it listens on, and which ports
 * its connections reach (to tell a direct connection from one through a tunnel).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** One TCP socket of /proc/net/tcp{,6}: `HOST:PORT` at each end, and its state. */
interface TcpSocket {
  local: string;
  remote: string;
  listening: boolean;
}

/** `0100007F:1F90` (or the 32-digit IPv6 form) as `127.0.0.1:8080`. */
function address(hex: string): string {
  const [ip, port] = hex.split(":") as [string, string];
  const host =
    ip.length === 8
      ? (ip.match(/../g) as string[])
          .reverse()
          .map((h) => parseInt(h, 16))
          .join(".")
      : ip;
  return `${host}:${parseInt(port, 16)}`;
}

/** The TCP sockets among the open fds of `pid`. */
function tcpSockets(pid: number): TcpSocket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1] as string);
    } catch {
      // closed meanwhile
    }
  }
  const found: TcpSocket[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "latin1").split("\n").slice(1)) {
      // local_address, rem_address, st (0A: LISTEN, 01: ESTABLISHED); field 9 is the inode.
      const fields = line.trim().split(/\s+/);
      if (!inodes.has(fields[9] as string)) continue;
      found.push({
        local: address(fields[1] as string),
        remote: address(fields[2] as string),
        listening: fields[3] === "0A",
      });
    }
  }
  return found;
}

/** The TCP addresses a process listens on (`127.0.0.1:PORT`). */
export function listeningTcp(pid: number): string[] {
  return tcpSockets(pid)
    .filter((s) => s.listening)
    .map((s) => s.local);
}

/** The remote ports of a process's TCP connections. */
export function connectedPorts(pid: number): number[] {
  return tcpSockets(pid)
    .filter((s) => !s.listening)
    .map((s) => Number(s.remote.slice(s.remote.lastIndexOf(":") + 1)));
}
