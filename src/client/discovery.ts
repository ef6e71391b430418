/**
 * The client side of cluster discovery: one datagram to circusd's multicast group
 * (`[circus] multicast_endpoint`), and every circusd that joined it answers with its control
 * endpoint, `{"endpoint": "tcp://..."}`, sent back to the asking socket.
 */
import dgram from "node:dgram";
import os from "node:os";
import { DEFAULT_MULTICAST_ENDPOINT } from "../config/defaults.js";
import { parseMulticastEndpoint } from "../config/values.js";

export { DEFAULT_MULTICAST_ENDPOINT };

/**
 * The query: `""`, Python's `json.dumps('')`, as Circus's own discovery test sends it. circusd
 * (Circus's and ours) answers whatever datagram comes, so the bytes only matter for others
 * that listen on the group.
 */
export const DISCOVERY_QUERY = Buffer.from('""');

/** How long {@link discover} collects answers by default (ms). */
export const DEFAULT_DISCOVERY_TIMEOUT_MS = 1000;

/** One circusd that answered. */
export interface DiscoveredDaemon {
  /** Its control endpoint, as it answered it (its `endpoint` option, verbatim). */
  endpoint: string;
  /** The IPv4 address the answer came from. */
  from: string;
}

/** Options of {@link discover}. */
export interface DiscoverOptions {
  /** `udp://GROUP:PORT`; {@link DEFAULT_MULTICAST_ENDPOINT} by default. */
  multicastEndpoint?: string;
  /** How long to collect answers; {@link DEFAULT_DISCOVERY_TIMEOUT_MS} by default. */
  timeoutMs?: number;
}

/**
 * Asks the group who is there and collects every answer until the timeout: one entry per
 * daemon, in the order they answered. The query goes out once through each IPv4 interface
 * that is not loopback (so a multi-homed host asks every network it is on), or once through
 * the kernel's pick when there is none; a daemon on this host hears it through multicast
 * loopback. Answers that are not a JSON object with a string `endpoint` are ignored.
 *
 * @throws InvalidValueError for a malformed `multicastEndpoint`; Error when the query could
 *   not be sent at all (no route to the group).
 */
export async function discover(options: DiscoverOptions = {}): Promise<DiscoveredDaemon[]> {
  const { address: group, port } = parseMulticastEndpoint(
    options.multicastEndpoint ?? DEFAULT_MULTICAST_ENDPOINT,
  );
  const timeoutMs = options.timeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS;
  const socket = dgram.createSocket("udp4");
  const found = new Map<string, DiscoveredDaemon>();
  socket.on("message", (message, sender) => {
    const endpoint = readAnswer(message);
    if (endpoint === null) return;
    const daemon = { endpoint, from: sender.address };
    const key = sameEverywhere(endpoint) ? endpoint : `${endpoint} ${sender.address}`;
    if (!found.has(key)) found.set(key, daemon);
  });
  // Errors after the sends (an ICMP unreachable) are not the caller's business.
  socket.on("error", () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, "0.0.0.0", () => {
        socket.off("error", reject);
        resolve();
      });
    });
    // As Circus's discovery test client: across routers, if any forwards it.
    socket.setMulticastTTL(255);
    await sendEverywhere(socket, group, port);
    await new Promise((resolve) => setTimeout(resolve, timeoutMs));
  } finally {
    socket.close();
  }
  return [...found.values()];
}

/**
 * The endpoint to connect to: an answer naming every address (`tcp://0.0.0.0:5555`, `*`,
 * `[::]`) is reachable at the address it came from; any other is taken as it is.
 */
export function reachableEndpoint(daemon: DiscoveredDaemon): string {
  const match = /^tcp:\/\/(0\.0\.0\.0|\*|\[::\]):(\d+|\*)$/.exec(daemon.endpoint);
  return match ? `tcp://${daemon.from}:${match[2]}` : daemon.endpoint;
}

/** The endpoint of an answer, or null for a datagram that is not one. */
function readAnswer(message: Buffer): string | null {
  try {
    const json: unknown = JSON.parse(message.toString("utf8"));
    if (typeof json !== "object" || json === null || Array.isArray(json)) return null;
    const endpoint = (json as Record<string, unknown>).endpoint;
    return typeof endpoint === "string" && endpoint !== "" ? endpoint : null;
  } catch {
    return null;
  }
}

/**
 * True when the endpoint names one daemon whoever reads it: not a wildcard, not loopback,
 * not a local path (those mean something only with the address that sent them).
 */
function sameEverywhere(endpoint: string): boolean {
  if (endpoint.startsWith("ipc://")) return false;
  const host = /^tcp:\/\/(.*):[^:]*$/.exec(endpoint)?.[1] ?? "";
  return !/^(0\.0\.0\.0|\*|127\.\d+\.\d+\.\d+|localhost|\[::1?\])$/i.test(host);
}

/** Sends the query through each non-loopback IPv4 interface; throws when no send went out. */
async function sendEverywhere(socket: dgram.Socket, group: string, port: number): Promise<void> {
  const interfaces = Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((info) => info.family === "IPv4" && !info.internal)
    .map((info) => info.address);
  const send = () =>
    new Promise<void>((resolve, reject) =>
      socket.send(DISCOVERY_QUERY, port, group, (error) => (error ? reject(error) : resolve())),
    );
  if (interfaces.length === 0) return send();
  let sent = 0;
  let lastError: unknown = null;
  for (const address of interfaces) {
    try {
      // Awaited one by one: the interface applies to the datagram sent next.
      socket.setMulticastInterface(address);
      await send();
      sent++;
    } catch (error) {
      lastError = error;
    }
  }
  if (sent === 0)
    throw new Error(`cannot send to udp://${group}:${port}: ${(lastError as Error).message}`);
}
