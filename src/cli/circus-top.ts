#!/usr/bin/env node
/**
 * circus-top [--endpoint ENDPOINT] [--ssh SSH] [--process-timeout SECONDS]: a top-like,
 * read-only console of circusd-stats's stream (CPU, memory and socket hits, live).
 */
import { parseTopArgs, TOP_HELP, TOP_USAGE, TopUsageError } from "../top/args.js";
import { runTop, TopError } from "../top/top.js";
import { packageVersion } from "../version.js";

async function main(argv: string[]): Promise<number> {
  let invocation;
  try {
    invocation = parseTopArgs(argv);
  } catch (error) {
    if (!(error instanceof TopUsageError)) throw error;
    process.stderr.write(`${TOP_USAGE}circus-top: error: ${error.message}\n`);
    return 2;
  }
  if (invocation.kind === "help") {
    process.stdout.write(TOP_HELP);
    return 0;
  }
  if (invocation.kind === "version") {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  return runTop(invocation.options);
}

// process.exit rather than a natural end: the terminal is already given back, and a handle
// left open (a ZeroMQ socket being torn down) must not keep a finished console hanging.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const text =
      error instanceof TopError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`circus-top: ${text}\n`);
    process.exit(1);
  },
);
