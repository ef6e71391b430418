#!/usr/bin/env node
/**
 * `circus-papa --endpoint ENDPOINT`: the process kernel. circusd starts it when a watcher or
 * socket says `use_papa = true` and none answers at `papa_endpoint`; it then outlives circusd.
 * It writes `ready` on stdout once it listens (or why it cannot, on stderr, and exits 1);
 * after that it writes nothing there: its log goes to circusd's, through the connection.
 */
import { parseArgs } from "node:util";
import { Kernel } from "../kernel/server.js";
import { parseKernelEndpoint } from "../kernel/protocol.js";
import { packageVersion } from "../version.js";
import { fail } from "./fail.js";

const USAGE = `usage: circus-papa --endpoint ENDPOINT

The process kernel: hosts processes and sockets for circusd across its restarts.

options:
  -h, --help           show this help message and exit
  --endpoint ENDPOINT  ipc://PATH or tcp://127.0.0.1:PORT (circusd's papa_endpoint)
  --version            Displays the version and exits.
`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        help: { type: "boolean", short: "h" },
        endpoint: { type: "string" },
        version: { type: "boolean" },
      },
    }));
  } catch (error) {
    fail(`${USAGE}circus-papa: error: ${(error as Error).message}`);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  if (!values.endpoint) fail(`${USAGE}circus-papa: error: --endpoint is required`);
  let address;
  try {
    address = parseKernelEndpoint(values.endpoint);
  } catch (error) {
    fail(`circus-papa: ${(error as Error).message}`);
  }
  const kernel = new Kernel(address);
  try {
    await kernel.listen();
  } catch (error) {
    fail(`circus-papa: cannot listen on ${values.endpoint}: ${(error as Error).message}`, 1);
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const)
    process.on(signal, () => kernel.signalled(signal));
  // A bug of its own must not take the processes' output pipes with it.
  process.on("uncaughtException", (error) => kernel.log(`internal error: ${error.stack ?? error}`));
  // Its terminal's hangup is circusd's business, not the kernel's.
  process.on("SIGHUP", () => {});
  kernel.log(`pid ${process.pid} listening on ${values.endpoint}`);
  process.stdout.write("ready\n");
}

void main();
