/**
 * circusctl without a command: the interactive shell of Circus's circusctl (Python's
 * `cmd.Cmd`): greeting, `(circusctl) ` prompt, `help`, `help CMD`, every command by name,
 * tab completion, history, Ctrl-D to leave. An error is printed and the shell goes on.
 */
import readline from "node:readline";
import { COMMANDS, getCommand } from "../../control/commands/index.js";
import { shlexSplit } from "../../core/shlex.js";
import { makeCompleter } from "./completion.js";
import { commandHelp, shellHelp } from "./help.js";
import { HISTORY_SIZE, loadHistory, saveHistory } from "./history.js";
import { runCommand } from "./run.js";
import type { Session } from "./session.js";
import { versionLine } from "./version.js";

export const PROMPT = "(circusctl) ";

/** Runs the shell until Ctrl-D (or end of input, or Ctrl-C at the prompt); returns 0. */
export async function runShell(
  session: Session,
  input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const { io } = session;
  session.interactive = true;
  io.out(`${versionLine()}\n`);
  await runCommand(session, "status", []);

  const terminal = Boolean(input.isTTY);
  const rl = readline.createInterface({
    input,
    output,
    prompt: PROMPT,
    terminal,
    completer: makeCompleter(session, COMMANDS, getCommand),
    history: terminal ? loadHistory() : [],
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
  });
  rl.on("history", (history: string[]) => saveHistory(history));

  let closed = false;
  let running: AbortController | null = null;
  rl.once("close", () => (closed = true));
  // Ctrl-C stops the running command (`listen`); at the prompt it leaves, as Circus's does.
  const interrupt = (): void => {
    if (running) running.abort();
    else rl.close();
  };
  rl.on("SIGINT", interrupt);
  process.on("SIGINT", interrupt);

  try {
    rl.prompt();
    for await (const line of rl) {
      running = new AbortController();
      const leave = await oneLine(session, line, running.signal);
      running = null;
      if (leave) break;
      // Piped input may end (closing readline) before its last lines ran: prompt by hand.
      if (closed) io.out(PROMPT);
      else rl.prompt();
    }
  } finally {
    process.removeListener("SIGINT", interrupt);
    rl.close();
  }
  io.out("\n");
  return 0;
}

/** Runs one line of the shell; true when the shell must end (EOF). */
async function oneLine(session: Session, text: string, abort: AbortSignal): Promise<boolean> {
  const { io } = session;
  let line = text.trim();
  if (line === "") return false;
  if (line.startsWith("?")) line = `help ${line.slice(1)}`;
  let words: string[];
  try {
    words = shlexSplit(line);
  } catch (error) {
    io.err(`*** ${error instanceof Error ? error.message : String(error)}\n`);
    return false;
  }
  const [name = "", ...args] = words;
  if (name === "EOF") return true;
  if (name === "help") {
    const topic = args[0];
    if (topic === undefined) io.out(shellHelp(COMMANDS));
    else {
      const command = getCommand(topic);
      if (command) io.out(commandHelp(command));
      else io.out(`*** No help on ${topic}\n`);
    }
    return false;
  }
  if (!getCommand(name)) {
    io.out(`*** Unknown syntax: ${line}\n`);
    return false;
  }
  await runCommand(session, name, args, abort);
  return false;
}
