/**
 * Runs one circusctl command line against the daemon and prints what circusctl prints; shared
 * by the one-shot `circusctl COMMAND` and the shell. Returns the exit status: 0 ok, 1 the
 * call failed (timeout, bad arguments), 2 a usage error, 3 an error reply (as Circus 0.19).
 */
import { CallError, TimeoutError } from "../../client/errors.js";
import { CertError } from "../../security/certs.js";
import { getCommand } from "../../control/commands/index.js";
import { consoleError } from "../../control/commands/util.js";
import type { CircusReply } from "../../control/protocol.js";
import { parseCommandLine, UsageError } from "./args.js";
import { commandHelp, USAGE } from "./help.js";
import { runDiscover } from "./discover.js";
import { runListen } from "./listen.js";
import { followLogs } from "./logs.js";
import { pythonJson } from "../../python/json.js";
import type { Session } from "./session.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_ERROR_REPLY = 3;

const TIMEOUT_HINT = `
A time out usually means one of two things:
  1. circusd could not be reached: check --endpoint (or $CIRCUSCTL_ENDPOINT);
  2. circusd took too long to do what was asked: raise --timeout (particularly
     with --waiting).
`;

/** Runs `name words...`; never throws for what a user can get wrong. */
export async function runCommand(
  session: Session,
  name: string,
  words: string[],
  abort: AbortSignal = new AbortController().signal,
): Promise<number> {
  const { io } = session;
  const command = getCommand(name);
  if (!command) {
    io.err(`${USAGE}\ncircusctl: error: unknown command: ${name}\n`);
    return EXIT_USAGE;
  }
  try {
    const line = parseCommandLine(command, words);
    if (line.help) {
      io.out(commandHelp(command));
      return EXIT_OK;
    }
    if (command.name === "listen") return await runListen(session, line.args, abort);
    const properties = command.message({ args: line.args, options: line.options });
    if (command.name === "discover") return await runDiscover(session, properties);
    if (command.name === "logs" && line.options.follow === true)
      return await followLogs(session, properties, abort);
    const client = await session.client();
    const reply = await client.call(command.name, properties);
    return printReply(session, reply, (r) => command.consoleOutput(r, properties));
  } catch (error) {
    return reportFailure(session, error);
  }
}

function printReply(
  session: Session,
  reply: CircusReply,
  consoleOutput: (reply: CircusReply) => string,
): number {
  const { io, globals } = session;
  // Only "error" fails, as Circus's circusctl: `status NAME` replies `"status": "active"`.
  const failed = reply.status === "error";
  // As Circus's circusctl, --json prints any reply, an error too, and says all went well: the
  // reply's status is in the JSON.
  if (globals.json) {
    io.out(pythonJson(reply, globals.prettify) + "\n");
    return EXIT_OK;
  }
  let text: string;
  try {
    text = consoleOutput(reply);
  } catch {
    // An unexpected reply shape must not hide the reply itself.
    text = failed ? consoleError(reply) : pythonJson(reply);
  }
  if (failed) io.err(text + "\n");
  else io.out(text + "\n");
  return failed ? EXIT_ERROR_REPLY : EXIT_OK;
}

function reportFailure(session: Session, error: unknown): number {
  const { io } = session;
  if (error instanceof UsageError) {
    io.err(`${USAGE}\ncircusctl: error: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof TimeoutError) {
    io.err(`circusctl: ${error.message}\n${TIMEOUT_HINT}`);
    return EXIT_FAILED;
  }
  if (error instanceof CallError || error instanceof CertError) {
    io.err(`circusctl: ${error.message}\n`);
    return EXIT_FAILED;
  }
  // ArgumentError from a command's message(), a shlex error, ...: the text is for the user.
  const text = error instanceof Error ? error.message : String(error);
  io.err(`${text}\n`);
  return EXIT_FAILED;
}
