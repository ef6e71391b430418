/**
 * PM2's own control interface: the God daemon's axon RPC on PM2_HOME/rpc.sock, through the
 * client modules that ship inside the pm2 package (what the pm2 CLI and its API use).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { ControlRpc } from "./rpc.js";

/** The part of pm2-axon's req socket used here. */
interface AxonReqSocket {
  connect(path: string): unknown;
  close(): void;
  on(event: "error", listener: (error: Error) => void): unknown;
}
/** The part of pm2-axon-rpc's Client used here. */
interface AxonRpcClient {
  call(
    method: string,
    arg: unknown,
    callback: (error: Error | null, result?: unknown) => void,
  ): void;
}

/**
 * The God daemon of `home`, reached with the modules of the pm2 package at `pm2Dir`: the probe
 * alternates `ping` (constant size) and `getMonitorData` (every process with its CPU and
 * memory, what `pm2 jlist` and `pm2 ls` ask), which is also the nearest thing to Circus's
 * `stats`.
 */
export function pm2Rpc(pm2Dir: string, home: string): ControlRpc {
  const require = createRequire(join(pm2Dir, "package.json"));
  const axon = require("./modules/pm2-axon") as { socket(type: "req"): AxonReqSocket };
  const RpcClient = require("./modules/pm2-axon-rpc").Client as new (
    sock: AxonReqSocket,
  ) => AxonRpcClient;
  const socketFile = join(home, "rpc.sock");
  let sock: AxonReqSocket | undefined;
  let client: AxonRpcClient | undefined;
  const connected = (): AxonRpcClient => {
    if (client !== undefined) return client;
    sock = axon.socket("req");
    // Connection errors make axon retry; they reach the caller as timeouts.
    sock.on("error", () => undefined);
    client = new RpcClient(sock);
    sock.connect(socketFile);
    return client;
  };
  return {
    transport: "axon RPC over PM2_HOME/rpc.sock",
    probeCalls: ["ping", "getMonitorData"],
    statsCall: "getMonitorData",
    ready: () => existsSync(socketFile),
    call(command, _timeoutMs) {
      // axon keeps a reply's callback until it comes: a late reply is simply ignored.
      return new Promise((resolve) => {
        connected().call(command, {}, (error, result) => {
          if (error !== null) resolve({ error: error.message });
          else resolve(Array.isArray(result) ? { items: result.length } : {});
        });
      });
    },
    close() {
      try {
        sock?.close();
      } catch {
        // already closed
      }
    },
  };
}
