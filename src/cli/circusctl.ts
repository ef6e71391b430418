#!/usr/bin/env node
/**
 * circusctl [options] command [args]: drives a circusd through its control endpoint, or,
 * without a command, opens an interactive shell. The commands, their arguments, help and
 * console output come from the registry that circusd itself runs.
 */
import { COMMANDS, getCommand } from "../control/commands/index.js";
import { parseInvocation, UsageError } from "./ctl/args.js";
import { bashCompletion } from "./ctl/bash-completion.js";
import { mainHelp, USAGE } from "./ctl/help.js";
import { EXIT_USAGE, runCommand } from "./ctl/run.js";
import { Session, STDIO } from "./ctl/session.js";
import { runShell } from "./ctl/shell.js";
import { versionLine } from "./ctl/version.js";

async function main(argv: string[]): Promise<number> {
  const completion = bashCompletion(COMMANDS, process.env);
  if (completion !== null) {
    STDIO.out(`${completion}\n`);
    return 1;
  }
  let invocation;
  try {
    invocation = parseInvocation(argv, getCommand);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    STDIO.err(`${USAGE}\ncircusctl: error: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const { globals, command, rest } = invocation;
  if (globals.version) {
    STDIO.out(`${versionLine()}\n`);
    return 0;
  }
  if (command === null && globals.help) {
    STDIO.out(mainHelp(COMMANDS));
    return 0;
  }
  const session = new Session(globals);
  const name = command === null ? undefined : getCommand(command)?.name;
  const listening = name === "listen" || name === "logs";
  // A signal ends `listen` and `logs -f` (their normal end), and otherwise ends the run at
  // once; either way the sockets and the ssh tunnel are closed on the way out. The shell
  // handles its own Ctrl-C.
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    abort.abort();
    if (listening) return;
    void session.close().then(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  if (command !== null) process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (command === null) return await runShell(session);
    // `circusctl --help status` shows the command's help, as `circusctl status --help`.
    const words = globals.help ? [...rest, "--help"] : rest;
    return await runCommand(session, command, words, abort.signal);
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    await session.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `circusctl: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
