/**
 * `--ssh user@host[:port]`: reaches a circusd endpoint on another machine through a real
 * `ssh -N -L` process, and hands back the local end to connect to. ssh does the
 * authentication (agent, keys, `-i KEYFILE`, or a password prompt on the terminal).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { trackNodeChild } from "../sys/node-children.js";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { shlexSplit } from "../core/shlex.js";
import { CallError } from "./errors.js";

/** Options of {@link openSshTunnel}. */
export interface SshTunnelOptions {
  /** The ssh server, `[user@]host[:port]`, as circusctl's `--ssh`. */
  server: string;
  /** The endpoint to reach, as seen from the ssh server: `tcp://host:port` or `ipc://path`. */
  endpoint: string;
  /** A private key file (`ssh -i`), as circusctl's `--ssh_keyfile`. */
  keyfile?: string | null;
  /**
   * The ssh command, split like a shell line. `$CIRCUS_SSH_COMMAND` or `ssh` by default, so
   * that options can be added (`ssh -F my_config`) the way `GIT_SSH_COMMAND` allows.
   */
  command?: string;
  /** Seconds to wait for the tunnel to carry connections; 15 by default. */
  timeout?: number;
}

/** An open tunnel. */
export interface SshTunnel {
  /** The local endpoint to connect to instead of the remote one. */
  endpoint: string;
  /** The ssh process. */
  process: ChildProcess;
  /** Ends the ssh process. Idempotent. */
  close(): void;
}

/** `[user@]host[:port]` split into ssh's destination and port. */
export function parseSshServer(server: string): { destination: string; port: number | null } {
  const match = /^(.+?)(?::(\d+))?$/.exec(server.trim());
  if (!match || !match[1]) throw new CallError(`invalid ssh server: ${JSON.stringify(server)}`);
  return { destination: match[1], port: match[2] ? Number(match[2]) : null };
}

/** The `-L` target of an endpoint: `host:port` or a unix socket path. */
function forwardTarget(endpoint: string): string {
  const ipc = /^ipc:\/\/(.+)$/.exec(endpoint);
  if (ipc) return ipc[1] as string;
  const tcp = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint);
  if (!tcp) throw new CallError(`cannot tunnel ${endpoint}: only tcp:// and ipc:// can be`);
  let host = tcp[1] as string;
  // A bind-all address means "this machine" once on the server's side.
  if (host === "*" || host === "0.0.0.0") host = "127.0.0.1";
  return `${host}:${tcp[2]}`;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Starts `ssh -N -L 127.0.0.1:LOCAL:TARGET [-p PORT] [-i KEYFILE] DESTINATION` and resolves
 * once the local port accepts connections. Rejects with ssh's own error text when ssh
 * exits first or the tunnel is not up in time. The ssh process is killed when this Node
 * process exits, should the caller forget {@link SshTunnel.close}.
 */
export async function openSshTunnel(options: SshTunnelOptions): Promise<SshTunnel> {
  const { destination, port } = parseSshServer(options.server);
  const target = forwardTarget(options.endpoint);
  const local = await freePort();
  const [program, ...baseArgs] = shlexSplit(
    options.command ?? process.env.CIRCUS_SSH_COMMAND ?? "ssh",
  );
  if (!program) throw new CallError("empty ssh command");
  const args = [
    ...baseArgs,
    "-N",
    // Without it ssh stays up, tunnel-less, when the port cannot be forwarded.
    "-o",
    "ExitOnForwardFailure=yes",
    "-L",
    `127.0.0.1:${local}:${target}`,
    ...(port !== null ? ["-p", String(port)] : []),
    ...(options.keyfile ? ["-i", options.keyfile] : []),
    destination,
  ];
  const child = trackNodeChild(spawn(program, args, { stdio: ["ignore", "ignore", "pipe"] }));
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  let exited = false;
  let spawnError: Error | null = null;
  child.once("error", (error) => (spawnError = error));
  child.once("exit", () => (exited = true));
  const killOnExit = (): void => void child.kill("SIGTERM");
  process.once("exit", killOnExit);
  const close = (): void => {
    process.removeListener("exit", killOnExit);
    if (!exited) child.kill("SIGTERM");
  };

  const deadline = Date.now() + (options.timeout ?? 15) * 1000;
  for (;;) {
    if (spawnError !== null || exited) {
      close();
      const why = spawnError !== null ? (spawnError as Error).message : stderr.trim();
      throw new CallError(`ssh tunnel to ${options.server} failed: ${why || "ssh exited"}`);
    }
    if (await canConnect(local)) break;
    if (Date.now() > deadline) {
      close();
      throw new CallError(`ssh tunnel to ${options.server} not up in time: ${stderr.trim()}`);
    }
    await sleep(50);
  }
  return { endpoint: `tcp://127.0.0.1:${local}`, process: child, close };
}
