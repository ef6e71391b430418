import type { Arbiter, Change } from "../core/arbiter.js";
import type { CircusReply } from "./protocol.js";

/** A circusctl option of a command (`--waiting`, `--nostop`, ...). */
export interface CommandOption {
  /** Long name without dashes, as circusctl takes it: `waiting`. */
  name: string;
  type: "boolean" | "string";
  help: string;
  /** A one-letter alias, as `-n` for `--lines`. */
  short?: string;
}

/** What circusctl passes to {@link Command.message}: positional args and parsed options. */
export interface CommandLine {
  args: string[];
  options: Record<string, string | boolean | undefined>;
}

/** What every command has: its name, help and checks, and its circusctl side. */
interface CommandBase {
  name: string;
  /** circusctl's `help NAME` text (the reference's docstring, adapted). */
  help: string;
  /** One line for `help`'s list. */
  summary: string;
  options?: CommandOption[];
  /**
   * circusctl runs it itself, without circusd (`discover` asks the multicast group): circusd
   * answers a request naming it as any unknown command, as Circus's does.
   */
  clientOnly?: boolean;
  /** Positional arguments that name a watcher (for tab completion), by index. */
  watcherArgs?: number[];
  /** Throws a MessageError when a property is missing or mistyped. */
  validate(properties: Record<string, unknown>): void;
  /** Builds the request's properties from a circusctl command line; ArgumentError when wrong. */
  message(line: CommandLine): Record<string, unknown>;
  /** What circusctl prints for a reply (without --json); errors print `error: REASON`. */
  consoleOutput(reply: CircusReply, properties: Record<string, unknown>): string;
}

/** What `execute` returns: the fields of the ok reply. */
type Outcome = Promise<Record<string, unknown> | void> | Record<string, unknown> | void;

/** A command that reads: it answers at once, even while a change runs. */
export interface ReadCommand extends CommandBase {
  mutating: false;
  /** Runs the command; the result's fields go into the ok reply. */
  execute(arbiter: Arbiter, properties: Record<string, unknown>): Outcome;
}

/**
 * A command that changes state: it runs in the arbiter's queue of changes, one at a time.
 * `check` runs at once, against the state as it is, and returns the plan `execute` follows
 * when its turn comes; `execute` makes its steps through the {@link Change} it is given.
 * Without the `waiting` property (and unless `waits` is set) the reply goes out as soon as
 * `check` has passed, as Circus replies before the work of its futures is done; with it,
 * after `execute`.
 *
 * @typeParam Plan - what `check` found (the watchers named, a parsed config) for `execute`.
 */
export interface ChangeCommand<Plan = unknown> extends CommandBase {
  mutating: true;
  /** The reply always waits for `execute` (its fields are the outcome). */
  waits?: boolean;
  /**
   * Checks against the arbiter's state before queueing (an unknown watcher is a MessageError
   * at once) and returns the plan for `execute`.
   */
  check?(arbiter: Arbiter, properties: Record<string, unknown>): Plan;
  /** The reply's fields when it goes out before `execute` (the request does not wait). */
  accepted?(plan: Plan): Record<string, unknown> | void;
  /** Runs the change with what `check` returned; the result's fields go into the ok reply. */
  execute(change: Change, properties: Record<string, unknown>, plan: Plan): Outcome;
}

/**
 * One control command. Its file holds both halves, as Circus's do: the daemon side
 * (`validate`, `check`, `execute`) and the circusctl side (`message`, `consoleOutput`, `help`).
 * One registry (`commands/index.ts`) drives the controller, circusctl, its help and completion.
 */
export type Command = ReadCommand | ChangeCommand;

/**
 * True for a command that changes circusd's state, which a read-only client key may not run:
 * every change command, and quit (a read command in form: it runs outside the queue).
 */
export function changesState(command: Command): boolean {
  return command.mutating || command.name === "quit";
}
