/**
 * Cluster discovery, as Circus's controller does it: circusd joins a UDP multicast group
 * (`[circus] multicast_endpoint`) and answers every datagram that reaches it with its control
 * endpoint, `{"endpoint": "tcp://..."}`, sent back to the sender.
 */
import dgram from "node:dgram";
import os from "node:os";
import { parseMulticastEndpoint } from "../config/values.js";
import { logger } from "../log/logger.js";
import { pythonJson } from "../python/json.js";

/** The UDP socket of cluster discovery; circusd runs without it when it cannot be made. */
export class Discovery {
  private socket: dgram.Socket | null = null;

  /**
   * @param multicastEndpoint `udp://A.B.C.D:PORT`, already checked by the config loader
   * @param endpoint the control endpoint given to whoever asks
   */
  constructor(
    readonly multicastEndpoint: string,
    readonly endpoint: string,
  ) {}

  /**
   * Binds the port on every address and joins the group on every IPv4 interface. When that
   * fails, logs Circus's warning and resolves all the same: discovery is a convenience, not a
   * reason for circusd not to run.
   */
  async start(): Promise<void> {
    if (this.socket) return;
    const { address, port } = parseMulticastEndpoint(this.multicastEndpoint);
    // Shared, as in Circus (SO_REUSEADDR): every circusd of a host answers on the same port.
    const socket = dgram.createSocket({ type: "udp4", reuseAddr: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(port, "0.0.0.0", () => {
          socket.off("error", reject);
          resolve();
        });
      });
      joinEverywhere(socket, address);
    } catch (error) {
      socket.close();
      logger.warning(
        "Multicast discovery is disabled, there was an error during udp socket creation: " +
          (error as Error).message,
      );
      return;
    }
    // As Python's json.dumps writes it: the reply is byte for byte the reference's.
    const reply = Buffer.from(pythonJson({ endpoint: this.endpoint }));
    socket.on("message", (_message, sender) => {
      socket.send(reply, sender.port, sender.address, (error) => {
        if (error) logger.debug(`discovery: no reply to ${sender.address}: ${error.message}`);
      });
    });
    socket.on("error", (error) => logger.warning(`discovery socket: ${error.message}`));
    this.socket = socket;
    logger.debug(`discovery: answering on ${this.multicastEndpoint}`);
  }

  /** Leaves the group and closes the socket. */
  close(): void {
    this.socket?.close();
    this.socket = null;
  }
}

/**
 * Joins the group on each interface that has an IPv4 address (Circus's INADDR_ANY joins on
 * one, the kernel's pick): a datagram reaches circusd whichever network it comes from.
 * Throws when no interface could join.
 */
function joinEverywhere(socket: dgram.Socket, group: string): void {
  const addresses = Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((info) => info.family === "IPv4")
    .map((info) => info.address);
  let joined = 0;
  let lastError: unknown = null;
  for (const address of addresses) {
    try {
      socket.addMembership(group, address);
      joined++;
    } catch (error) {
      lastError = error;
      logger.debug(`discovery: cannot join ${group} on ${address}: ${(error as Error).message}`);
    }
  }
  if (joined > 0) return;
  if (addresses.length > 0) throw lastError;
  socket.addMembership(group);
}
