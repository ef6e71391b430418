/**
 * Who is at the other end of a loopback TCP connection: /proc/net/tcp lists every socket of
 * the machine with its owner's uid, the peer's among them (its local port is our remote one).
 */
import { readFileSync } from "node:fs";

/**
 * The uid owning the other end of a loopback connection from `remotePort` to `localPort`, or
 * null when it is not found (not a connection of this machine, or gone already).
 */
export function loopbackPeerUid(localPort: number, remotePort: number): number | null {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");
  const [ours, theirs] = [hex(localPort), hex(remotePort)];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid ...
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(`:${theirs}`) && fields[2]?.endsWith(`:${ours}`))
        return Number(fields[7]);
    }
  }
  return null;
}
