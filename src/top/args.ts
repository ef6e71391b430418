/**
 * circus-top's command line, as Circus's: `--endpoint`, `--ssh`, `--process-timeout`,
 * `--version`, plus `--ssh_keyfile` as circusctl has it.
 */
import { parseArgs } from "node:util";
import { DEFAULT_STATS_ENDPOINT } from "../config/defaults.js";
import { InvalidValueError, parseZmqEndpoint } from "../config/values.js";
import { CURVE_USAGE } from "../cli/curve-args.js";

/** What circus-top runs with. */
export interface TopOptions {
  /** circusd-stats's pub/sub endpoint. */
  endpoint: string;
  /** An ssh server (`[user@]host[:port]`) to reach the endpoint through, or null. */
  ssh: string | null;
  /** A private key for ssh, or null. */
  sshKeyfile: string | null;
  /** Seconds after which a process no longer published leaves the screen. */
  processTimeout: number;
  /** CURVE: `--curve-key` and `--curve-server-key` (else CIRCUS_CURVE_*), as given. */
  curveKey: string | null;
  curveServerKey: string | null;
}

/** A parsed command line. */
export type TopInvocation =
  { kind: "help" } | { kind: "version" } | { kind: "run"; options: TopOptions };

/** A wrong command line: the usage and exit status 2, as argparse does. */
export class TopUsageError extends Error {
  override name = "TopUsageError";
}

export const TOP_USAGE = `usage: circus-top [-h] [--endpoint ENDPOINT] [--version] [--ssh SSH]
                  [--ssh_keyfile SSH_KEYFILE] [--process-timeout PROCESS_TIMEOUT]
                  [--curve-key FILE] [--curve-server-key FILE|KEY]
`;

export const TOP_HELP = `${TOP_USAGE}
Runs Circus Top: CPU, memory and socket hits of a running Circus system, live.

options:
  -h, --help            show this help message and exit
  --endpoint ENDPOINT   the circusd-stats ZeroMQ socket to connect to
                        (${DEFAULT_STATS_ENDPOINT})
  --version             displays the version and exits
  --ssh SSH             reach the endpoint through ssh: [user@]host[:port]
  --ssh_keyfile SSH_KEYFILE
                        the private key for --ssh
  --process-timeout PROCESS_TIMEOUT
                        seconds without news after which a process is removed (3)
${CURVE_USAGE}
keys: c or P sort by CPU, m or M sort by memory, / filter watchers (Enter applies,
Esc clears), arrows, j/k, Page Up/Down, g/G scroll, Ctrl-L repaints, q or Ctrl-C quits.
`;

/**
 * Why a pub/sub endpoint cannot be connected to, or null when it can: the endpoints a config
 * accepts (`tcp://HOST:PORT` or `ipc://PATH`), less the `*` that only binds. ZeroMQ itself
 * takes a port past 65535, and then never connects.
 */
export function endpointProblem(endpoint: string): string | null {
  try {
    parseZmqEndpoint(endpoint);
  } catch (error) {
    if (error instanceof InvalidValueError) return error.message;
    throw error;
  }
  if (/^tcp:\/\/(\*:|.*:\*$)/.test(endpoint.trim())) {
    return `a "*" binds, it cannot be connected to, got ${JSON.stringify(endpoint)}`;
  }
  return null;
}

/** Parses argv (without node and the script). Throws {@link TopUsageError}. */
export function parseTopArgs(argv: string[]): TopInvocation {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
        endpoint: { type: "string", default: DEFAULT_STATS_ENDPOINT },
        ssh: { type: "string" },
        ssh_keyfile: { type: "string" },
        "ssh-keyfile": { type: "string" },
        "process-timeout": { type: "string", default: "3" },
        "curve-key": { type: "string" },
        "curve-server-key": { type: "string" },
      },
    }));
  } catch (error) {
    throw new TopUsageError((error as Error).message);
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const timeoutText = values["process-timeout"];
  const processTimeout = Number(timeoutText);
  if (timeoutText.trim() === "" || !(processTimeout > 0) || !Number.isFinite(processTimeout)) {
    throw new TopUsageError(`argument --process-timeout: invalid value: '${timeoutText}'`);
  }
  return {
    kind: "run",
    options: {
      endpoint: values.endpoint,
      ssh: values.ssh ?? null,
      sshKeyfile: values.ssh_keyfile ?? values["ssh-keyfile"] ?? null,
      processTimeout,
      curveKey: values["curve-key"] ?? null,
      curveServerKey: values["curve-server-key"] ?? null,
    },
  };
}
