#!/usr/bin/env node
/**
 * `circushttpd [options]`: the web console of one or more circusd (src/web/API.md). circusd
 * runs it as the watcher `circushttpd` when `[circus] httpd = true`, on a socket it binds.
 * `circushttpd hash-password` prints the hash line of a password for the users file.
 */
import { parseArgs } from "node:util";
import { DEFAULT_ENDPOINT } from "../client/client.js";
import { DEFAULT_MULTICAST_ENDPOINT } from "../config/defaults.js";
import { parseMulticastEndpoint } from "../config/values.js";
import { openSshTunnel, type SshTunnel } from "../client/ssh.js";
import { configureDefault } from "../log/config.js";
import { levelRank, logger, parseLogLevel } from "../log/logger.js";
import { packageVersion } from "../version.js";
import { isLoopback, refusalLine, WebServer } from "../web/server/server.js";
import { CURVE_ARG_OPTIONS, CURVE_USAGE, curveFromArgs } from "./curve-args.js";
import { hashPassword, loadUsers, UsersFileError, type User } from "../web/server/users.js";
import { fail } from "./fail.js";

const USAGE = `usage: circushttpd [-h] [--host HOST] [--port PORT] [--fd FD]
                   [--endpoint ENDPOINT] [--stats-endpoint STATS_ENDPOINT]
                   [--users FILE] [--ssh SSH] [--multicast ENDPOINT]
                   [--log-level LOGLEVEL] [--log-output LOGOUTPUT] [--version]
       circushttpd hash-password

Runs the Circus web console

options:
  -h, --help            show this help message and exit
  --host HOST           address to listen on (localhost)
  --port PORT           port to listen on (8080)
  --fd FD               serve on this already bound, listening socket instead
  --endpoint ENDPOINT   circusd's control endpoint (${DEFAULT_ENDPOINT})
  --stats-endpoint STATS_ENDPOINT
                        circusd-stats' endpoint (by default the daemon's own)
  --users FILE          users file: lines NAME:ROLE:HASH (ROLE admin or readonly);
                        without it, anonymous admin on a loopback address only
  --ssh SSH             reach circusd's endpoints through ssh: user@host[:port]
  --multicast ENDPOINT  the group the Discover button asks
                        (${DEFAULT_MULTICAST_ENDPOINT})
${CURVE_USAGE}  --log-level LOGLEVEL  log level (info)
  --log-output LOGOUTPUT
                        log output: - for stdout (default), a file or a syslog URL
  --version             Displays Circus version and exits.

hash-password reads a password (twice from a terminal, once from a pipe) and prints the
HASH of a users file line.
`;

/** Reads one line from stdin; on a terminal, without echoing it. */
async function readSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new Error("not a terminal");
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  let text = "";
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n") {
            stdin.off("data", onData);
            return resolve(text);
          }
          if (ch === "\u0003" || ch === "\u0004") {
            stdin.off("data", onData);
            return reject(new Error("interrupted"));
          }
          if (ch === "\u007f" || ch === "\b") text = text.slice(0, -1);
          else text += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write("\n");
  }
}

/** The whole of a piped stdin's first line. */
async function readPiped(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) parts.push(chunk);
  return (Buffer.concat(parts).toString("utf8").split(/\r?\n/)[0] ?? "").replace(/\r$/, "");
}

async function hashPasswordCommand(): Promise<void> {
  let password: string;
  if (process.stdin.isTTY) {
    password = await readSecret("Password: ");
    const again = await readSecret("Password (again): ");
    if (password !== again) fail("circushttpd: the passwords differ", 1);
  } else {
    password = await readPiped();
  }
  if (password === "") fail("circushttpd: empty password", 1);
  process.stdout.write(`${await hashPassword(password)}\n`);
}

async function main(): Promise<void> {
  if (process.argv[2] === "hash-password") return hashPasswordCommand();
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        help: { type: "boolean", short: "h" },
        host: { type: "string", default: "localhost" },
        port: { type: "string", default: "8080" },
        fd: { type: "string" },
        endpoint: { type: "string", default: DEFAULT_ENDPOINT },
        "stats-endpoint": { type: "string" },
        users: { type: "string" },
        ssh: { type: "string" },
        multicast: { type: "string", default: DEFAULT_MULTICAST_ENDPOINT },
        ...CURVE_ARG_OPTIONS,
        "log-level": { type: "string", default: "info" },
        "log-output": { type: "string", default: "-" },
        version: { type: "boolean" },
      },
    });
  } catch (error) {
    fail(`${USAGE}circushttpd: error: ${(error as Error).message}`);
  }
  const { values } = parsed;
  if (values.help) return void process.stdout.write(USAGE);
  if (values.version) return void process.stdout.write(`${packageVersion()}\n`);
  const level = parseLogLevel(values["log-level"]);
  if (!level) fail(`circushttpd: unknown log level ${JSON.stringify(values["log-level"])}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`circushttpd: --port: expected a port number, got ${JSON.stringify(values.port)}`);
  const fd = values.fd === undefined ? null : Number(values.fd);
  if (fd !== null && !(Number.isInteger(fd) && fd >= 0))
    fail(`circushttpd: --fd: expected a file descriptor, got ${JSON.stringify(values.fd)}`);
  let users: Map<string, User> | null = null;
  if (values.users !== undefined) {
    try {
      users = loadUsers(values.users);
    } catch (error) {
      if (error instanceof UsersFileError) fail(`circushttpd: ${error.message}`, 1);
      throw error;
    }
  }
  // With --fd, circusd bound the socket on httpd_host: the check is the same, on that host
  // (circusd passes --host too).
  if (users === null && !isLoopback(values.host)) fail(refusalLine(values.host), 1);
  await configureDefault(levelRank(level), values["log-output"]);

  const tunnels: SshTunnel[] = [];
  const endpoint = values.endpoint;
  let via: string | undefined;
  let reach: ((remote: string) => Promise<string>) | undefined;
  const ssh = values.ssh;
  if (ssh !== undefined) {
    // Every endpoint through the ssh server: the control one now, the pub/sub and stats
    // ones once the daemon has said where they are.
    reach = async (remote) => {
      const tunnel = await openSshTunnel({ server: ssh, endpoint: remote });
      tunnels.push(tunnel);
      return tunnel.endpoint;
    };
    via = await reach(endpoint);
  }
  try {
    parseMulticastEndpoint(values.multicast);
  } catch (error) {
    fail(`circushttpd: --multicast: ${(error as Error).message}`);
  }
  const statsEndpoint = values["stats-endpoint"] ?? null;
  const curve = curveFromArgs(values, "circushttpd");
  const server = new WebServer({
    endpoint,
    statsEndpoint,
    users,
    ...(curve ? { curve } : {}),
    ...(reach ? { reach } : {}),
    ...(via ? { via } : {}),
  });
  server.api.multicastEndpoint = values.multicast;
  let address;
  try {
    address = await server.listen(fd !== null ? { fd } : { host: values.host, port });
  } catch (error) {
    logger.error(`circushttpd: cannot listen: ${(error as Error).message}`);
    process.exit(1);
  }
  const where = fd !== null ? `fd ${fd}` : `http://${values.host}:${address?.port ?? port}/`;
  logger.info(`circushttpd ${packageVersion()} serving ${where} for ${values.endpoint}`);
  // Read by whoever started it on port 0 (the tests): the port the kernel chose.
  if (address) process.stdout.write(`listening on ${address.address}:${address.port}\n`);
  const stop = (): void =>
    void server.close().then(() => {
      for (const t of tunnels) t.close();
      process.exit(0);
    });
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  logger.error(`circushttpd: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
