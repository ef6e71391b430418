/**
 * circusctl's command line: global options (anywhere, as long as the command does not take
 * an option of the same name), then `COMMAND [ARGS]` with the command's own `--options`.
 */
import { DEFAULT_TIMEOUT } from "../../client/client.js";
import type { Command, CommandLine } from "../../control/command.js";

/** The global options of circusctl, as the man page lists them. */
export interface GlobalOptions {
  endpoint: string | null;
  timeout: number;
  json: boolean;
  prettify: boolean;
  ssh: string | null;
  sshKeyfile: string | null;
  /** Ours: CURVE's client key file and circusd's public key (else $CIRCUS_CURVE_*). */
  curveKey: string | null;
  curveServerKey: string | null;
  help: boolean;
  version: boolean;
}

/** A parsed circusctl invocation. */
export interface Invocation {
  globals: GlobalOptions;
  /** The command name, or null for the interactive shell (or --help / --version). */
  command: string | null;
  /** The words after the command, to be parsed against the command by {@link parseCommandLine}. */
  rest: string[];
}

/** A wrong command line (unknown option, missing value): usage text and exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

const VALUE_OPTIONS = new Set([
  "endpoint",
  "timeout",
  "ssh",
  "ssh_keyfile",
  "ssh-keyfile",
  "curve-key",
  "curve_key",
  "curve-server-key",
  "curve_server_key",
]);
const FLAG_OPTIONS = new Set(["json", "prettify", "help", "version"]);

/** `--name=value` or `--name` split into name and inline value. */
function splitOption(word: string): [string, string | undefined] {
  const eq = word.indexOf("=");
  return eq < 0 ? [word.slice(2), undefined] : [word.slice(2, eq), word.slice(eq + 1)];
}

/** Applies a global option; returns how many extra words it took, or -1 when not global. */
function applyGlobal(globals: GlobalOptions, words: string[], i: number): number {
  const word = words[i] as string;
  if (word === "-h") {
    globals.help = true;
    return 0;
  }
  if (!word.startsWith("--")) return -1;
  const [name, inline] = splitOption(word);
  if (FLAG_OPTIONS.has(name)) {
    if (inline !== undefined)
      throw new UsageError(`argument --${name}: ignored explicit argument '${inline}'`);
    if (name === "json") globals.json = true;
    else if (name === "prettify") globals.prettify = true;
    else if (name === "help") globals.help = true;
    else globals.version = true;
    return 0;
  }
  if (!VALUE_OPTIONS.has(name)) return -1;
  const value = inline ?? words[i + 1];
  if (value === undefined) throw new UsageError(`argument --${name}: expected one argument`);
  if (name === "endpoint") globals.endpoint = value;
  else if (name === "ssh") globals.ssh = value;
  else if (name === "timeout") {
    const timeout = Number(value);
    if (value.trim() === "" || !(timeout > 0))
      throw new UsageError(`argument --timeout: invalid value: '${value}'`);
    globals.timeout = timeout;
  } else if (name.startsWith("curve")) {
    if (name.includes("server")) globals.curveServerKey = value;
    else globals.curveKey = value;
  } else globals.sshKeyfile = value;
  return inline === undefined ? 1 : 0;
}

/** Default global options: endpoint null means `$CIRCUSCTL_ENDPOINT` or the default. */
export function defaultGlobals(): GlobalOptions {
  return {
    endpoint: null,
    timeout: DEFAULT_TIMEOUT,
    json: false,
    prettify: false,
    ssh: null,
    sshKeyfile: null,
    curveKey: null,
    curveServerKey: null,
    help: false,
    version: false,
  };
}

/**
 * Splits argv into global options, the command name and the command's words. Global options
 * after the command are taken out of its words unless the command has an option of that name.
 */
export function parseInvocation(
  argv: string[],
  getCommand: (name: string) => Command | undefined,
  globals: GlobalOptions = defaultGlobals(),
): Invocation {
  let command: string | null = null;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === "--") {
      if (command === null) {
        command = argv[i + 1] ?? null;
        rest.push(...argv.slice(i + 2));
      } else rest.push(...argv.slice(i));
      break;
    }
    if (command !== null) {
      const own = getCommand(command)?.options ?? [];
      const name = word.startsWith("--") ? splitOption(word)[0] : "";
      if (own.some((o) => o.name === name) || word === "-h" || word === "--help") {
        rest.push(word);
        continue;
      }
    }
    const taken = applyGlobal(globals, argv, i);
    if (taken >= 0) {
      i += taken;
      continue;
    }
    if (command === null) {
      if (word.startsWith("--")) throw new UsageError(`unrecognized arguments: ${word}`);
      command = word;
    } else rest.push(word);
  }
  return { globals, command, rest };
}

/** The command's positional args and options from its words; `help` when -h/--help is there. */
export function parseCommandLine(
  command: Command,
  words: string[],
): CommandLine & { help: boolean } {
  const options: CommandLine["options"] = {};
  for (const option of command.options ?? []) {
    options[option.name] = option.type === "boolean" ? false : undefined;
  }
  const args: string[] = [];
  let help = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (word === "--") {
      args.push(...words.slice(i + 1));
      break;
    }
    if (word === "-h" || word === "--help") {
      help = true;
      continue;
    }
    const short = /^-([a-zA-Z])$/.exec(word)?.[1];
    const aliased = short && (command.options ?? []).find((o) => o.short === short);
    if (!word.startsWith("--") && !aliased) {
      args.push(word);
      continue;
    }
    const [name, inline] = aliased ? [aliased.name, undefined] : splitOption(word);
    const option = (command.options ?? []).find((o) => o.name === name);
    if (!option) throw new UsageError(`unrecognized arguments: ${word}`);
    if (option.type === "boolean") {
      if (inline !== undefined)
        throw new UsageError(`argument --${name}: ignored explicit argument '${inline}'`);
      options[name] = true;
    } else {
      const value = inline ?? words[++i];
      if (value === undefined) throw new UsageError(`argument --${name}: expected one argument`);
      options[name] = value;
    }
  }
  return { args, options, help };
}
