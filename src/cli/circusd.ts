#!/usr/bin/env node
import { spawn } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import { ConfigError } from "../config/errors.js";
import { packageVersion } from "../version.js";
import { loadConfig } from "../config/load.js";
import type { CircusConfig } from "../config/types.js";
import type { Arbiter } from "../core/arbiter.js";
import { EndpointError, ServedArbiter } from "../control/served-arbiter.js";
import { formatLocation, sourceLocation } from "../config/errors.js";
import { checkPlugins } from "../plugins/check.js";
import { traceGc } from "../stats/gc-trace.js";
import { logger, levelRank, parseLogLevel } from "../log/logger.js";
import {
  configureDefault,
  configureFromFile,
  LoggingConfigError,
  reopenLogFiles,
} from "../log/config.js";
import { checkSupported } from "../control/unsupported.js";
import { httpdRunner, papaRunner, pluginRunner, statsRunner } from "./plugin-runner.js";
import { acquirePidfile, releasePidfile, PidfileError } from "./pidfile.js";
import { fail } from "./fail.js";
import { sdNotify, takeNotifySocket } from "../sys/sd-notify.js";
import {
  endLeftovers,
  enterContainerMode,
  EXIT_CODES,
  killEverything,
  LEFTOVER_GRACE_SECONDS,
  watchEssentials,
  type ContainerMode,
} from "../core/container.js";

const USAGE = `usage: circusd [-h] [--log-level LEVEL] [--log-output LOGOUTPUT]
               [--logger-config LOGGERCONFIG] [--daemon] [--pidfile PIDFILE]
               [--container] [--version] [config]

Run some watchers.

positional arguments:
  config                configuration file

options:
  -h, --help            show this help message and exit
  --log-level LEVEL     log level (debug, info, warning, error, critical)
  --log-output LOGOUTPUT
                        where the logs go: - for stdout (default), a file,
                        syslog://host[:port]?facility or syslog:///socket?facility
  --logger-config LOGGERCONFIG
                        a logging configuration file (INI, JSON or YAML)
  --daemon              start circusd in the background
  --pidfile PIDFILE     the location of the pid file
  --container           do an init's duties (reap orphans, end what is left at
                        exit), as [circus] container = true; on by itself as PID 1
  --version             display the version and exit
`;

/** Re-runs circusd detached in its own session, without --daemon, and leaves. */
function daemonize(argv: string[], configPath: string): never {
  const args = argv
    .filter((a) => a !== "--daemon")
    .map((a) => (a === configPath ? path.resolve(a) : a));
  const script = process.argv[1] as string;
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
    detached: true,
    stdio: "ignore",
    env: { ...process.env, CIRCUSD_DAEMON: "1" },
  });
  child.unref();
  process.exit(0);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: "boolean", short: "h" },
        "log-level": { type: "string" },
        "log-output": { type: "string" },
        "logger-config": { type: "string" },
        daemon: { type: "boolean" },
        pidfile: { type: "string" },
        container: { type: "boolean" },
        version: { type: "boolean" },
      },
    });
  } catch (error) {
    fail(`circusd: ${(error as Error).message}\n${USAGE}`, 1);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  const configPath = positionals[0];
  if (!configPath || positionals.length > 1) fail(`circusd: expected one config file\n${USAGE}`, 1);

  const load = (): CircusConfig => {
    const loaded = loadConfig(path.resolve(configPath), { warn: (m) => logger.warning(m) });
    const unsupported = checkSupported(loaded);
    if (unsupported) throw unsupported;
    return loaded;
  };
  let config: CircusConfig;
  try {
    config = load();
  } catch (error) {
    fail(error instanceof ConfigError ? error.message : `circusd: ${(error as Error).message}`, 1);
  }
  // Checked before going to the background, where an error would have nowhere to go.
  try {
    await configureLogging(values, config);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error), 1);
  }
  try {
    await checkPlugins(config.plugins, config.circus);
  } catch (error) {
    fail(error instanceof ConfigError ? error.message : `circusd: ${(error as Error).message}`, 1);
  }
  const pidfile = values.pidfile ?? config.circus.pidfile;
  if (values.daemon && !process.env.CIRCUSD_DAEMON) {
    if (pidfile) {
      try {
        acquirePidfile(pidfile, true);
      } catch (error) {
        fail(`circusd: ${(error as Error).message}`, 1);
      }
    }
    daemonize(argv, configPath);
  }
  // Before any watcher copies the environment: systemd's socket is circusd's alone.
  takeNotifySocket();

  if (config.circus.umask !== null) process.umask(config.circus.umask);
  const stopGcTrace = config.circus.debugGc ? traceGc(logger) : null;
  if (pidfile) {
    try {
      acquirePidfile(pidfile);
    } catch (error) {
      fail(`circusd: ${error instanceof PidfileError ? error.message : String(error)}`, 1);
    }
  }

  // Container mode: PID 1, --container or [circus] container = true. Before any spawn.
  let container: ContainerMode | null = null;
  if (values.container || config.circus.container || process.pid === 1) {
    try {
      container = enterContainerMode();
    } catch (error) {
      if (pidfile) releasePidfile(pidfile);
      fail(`circusd: --container: cannot become a child subreaper: ${(error as Error).message}`, 1);
    }
  }

  let exiting = false;
  /** How circusd leaves once stopped (README, "Containers and Kubernetes"). */
  let exitCode: number = EXIT_CODES.stopped;
  /**
   * Stops every watcher, lets the last events out, closes the endpoints, in container mode
   * ends what is left, and leaves with `exitCode`.
   */
  const exit = async () => {
    sdNotify({ STOPPING: 1, STATUS: "stopping" });
    await arbiter.stop();
    if (container) await endLeftovers(container, LEFTOVER_GRACE_SECONDS);
    stopGcTrace?.();
    if (pidfile) releasePidfile(pidfile);
    logger.info(exitCode === 0 ? "circusd stopped" : `circusd stopped (exit code ${exitCode})`);
    process.exit(exitCode);
  };
  let arbiter: ServedArbiter;
  try {
    arbiter = new ServedArbiter(config.watchers, config.circus, config.sockets, config.plugins, {
      pluginRunner: pluginRunner(),
      statsRunner: statsRunner(),
      papaRunner: papaRunner(),
      httpdRunner: httpdRunner(),
      onQuit: () => {
        logger.info("Got quit command");
        exiting = true;
        return exit();
      },
    });
    for (const watcher of arbiter.watchers) await watcher.prepare();
  } catch (error) {
    if (pidfile) releasePidfile(pidfile);
    fail(error instanceof ConfigError ? error.message : `circusd: ${(error as Error).message}`, 1);
  }
  arbiter.configLoader = load;
  arbiter.pluginCheck = (next) => checkPlugins(next.plugins, next.circus);
  // An essential watcher that gives up takes circusd down with it, container or not.
  watchEssentials(arbiter, (watcher, reason) => {
    logger.error(
      `essential watcher ${watcher.name} gave up: ${reason}; stopping circusd (exit code ${EXIT_CODES.essentialGaveUp})`,
    );
    if (exiting) return;
    exiting = true;
    exitCode = EXIT_CODES.essentialGaveUp;
    void exit();
  });

  // A bug in a hook or in circusd must not take every supervised process down with it.
  process.on("uncaughtException", (error) =>
    logger.error(`uncaught error: ${error.stack ?? error}`),
  );
  process.on("unhandledRejection", (error) =>
    logger.error(`unhandled rejection: ${String(error)}`),
  );

  let forced = false;
  const shutdown = (signal: string) => {
    logger.info(`Got signal SIG_${signal.replace(/^SIG/, "")}`);
    if (exiting) {
      // A second SIGTERM or SIGINT: no more waiting for graceful_timeout.
      if (signal === "SIGQUIT" || forced) return;
      forced = true;
      logger.warning(
        `${signal} again while stopping: killing every process now (exit code ${EXIT_CODES.forced})`,
      );
      exitCode = EXIT_CODES.forced;
      killEverything(arbiter, container);
      return;
    }
    exiting = true;
    void exit();
  };
  for (const signal of ["SIGTERM", "SIGINT", "SIGQUIT"] as const)
    process.on(signal, () => shutdown(signal));
  process.on("SIGHUP", () => {
    reopenLogFiles();
    logger.info("Got signal SIG_HUP");
    if (exiting) return;
    sdNotify({ RELOADING: 1, MONOTONIC_USEC: monotonicUsec(), STATUS: "reloading" });
    void reloadAll(arbiter).then(() => sdNotify({ READY: 1, STATUS: statusLine(arbiter) }));
  });

  try {
    await arbiter.start();
    if (!exiting) sdNotify({ READY: 1, STATUS: statusLine(arbiter) });
  } catch (error) {
    // Stopped while starting (a signal, an essential watcher that gave up): exit() leaves.
    if (exiting) return;
    // An endpoint or a socket that cannot bind, or a watcher naming a socket that does not
    // exist: nothing stayed bound; leave with the one line naming section and option.
    if (pidfile) releasePidfile(pidfile);
    if (error instanceof EndpointError) fail(`circusd: ${error.message}`, 1);
    fail(error instanceof ConfigError ? error.message : `circusd: ${(error as Error).message}`, 1);
  }
}

/** What systemctl status shows of circusd: its watchers and processes. */
function statusLine(arbiter: Arbiter): string {
  return `${arbiter.numwatchers()} watchers, ${arbiter.numprocesses()} processes`;
}

/** CLOCK_MONOTONIC in microseconds, which systemd wants with RELOADING=1. */
function monotonicUsec(): string {
  return String(process.hrtime.bigint() / 1000n);
}

/** The logging options as given: on the command line, else in `[circus]`. */
interface LoggingValues {
  "log-level"?: string | undefined;
  "log-output"?: string | undefined;
  "logger-config"?: string | undefined;
}

/**
 * Configures the daemon's logging as Circus does: `loggerconfig` (a file) when set, else the
 * built-in configuration from `loglevel` and `logoutput`; the command-line flags override
 * the `[circus]` options. Throws an Error whose message is the one line to print, naming the
 * flag, or the config file, `[circus]` and the option.
 */
async function configureLogging(values: LoggingValues, config: CircusConfig): Promise<void> {
  const where = (flag: keyof LoggingValues, option: string): string =>
    values[flag] !== undefined
      ? `circusd: --${flag}: `
      : config.circus.source
        ? formatLocation(sourceLocation(config.circus.source, "circus", option))
        : `circusd: [circus] ${option}: `;
  const levelText = (values["log-level"] ?? config.circus.loglevel) || "info";
  const level = parseLogLevel(levelText);
  if (!level) {
    throw new Error(
      `${where("log-level", "loglevel")}unknown log level ${JSON.stringify(levelText)} (expected debug, info, warning, error or critical)`,
    );
  }
  const loggerConfig = values["logger-config"] ?? config.circus.loggerconfig;
  const output = (values["log-output"] ?? config.circus.logoutput) || "-";
  const attempt = async (option: string, flag: keyof LoggingValues, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      if (error instanceof LoggingConfigError)
        throw new Error(`${where(flag, option)}${error.message}`);
      throw error;
    }
  };
  if (!loggerConfig || loggerConfig.trim().toLowerCase() === "default") {
    await attempt("logoutput", "log-output", () => configureDefault(levelRank(level), output));
    return;
  }
  await attempt("loggerconfig", "logger-config", () => configureFromFile(loggerConfig));
  // The file decides; an explicit --log-level still sets the circus logger's own level.
  // What else would be ignored is said, rather than ignored silently.
  if (values["log-level"] !== undefined) logger.level = level;
  const ignored: string[] = [];
  if (values["log-output"] !== undefined) ignored.push("--log-output");
  else if (output !== "-") ignored.push("[circus] logoutput");
  if (values["log-level"] === undefined && level !== "info") {
    ignored.push("[circus] loglevel");
  }
  for (const what of ignored) {
    logger.warning(
      `${what} is ignored: the logger configuration ${loggerConfig} decides where the lines go`,
    );
  }
}

/**
 * SIGHUP: re-read the config, apply what changed, and gracefully reload what did not; one
 * change in the arbiter's queue, after those before it (a stop of a thousand processes).
 */
async function reloadAll(arbiter: Arbiter): Promise<void> {
  try {
    await arbiter.exclusive(async (change) => {
      const summary = await change.reloadConfig();
      for (const name of [...summary.unchanged, ...summary.resized]) {
        const watcher = arbiter.getWatcher(name);
        if (watcher) await change.watcher(watcher).reload(true);
      }
    });
  } catch (error) {
    logger.error(`reload failed, keeping the running config: ${(error as Error).message}`);
  }
}

// A daemon allocates little and often (a few objects per spawn, per read, per request): V8
// would grow its young generation from 1 to 16 MiB per semi-space during a start of 1000, which
// stays resident (10 MiB, half of circusd's own memory at 1000 processes) for scavenges
// that are just as quick small. Keeping it at its first size costs no measurable CPU.
v8.setFlagsFromString("--semi-space-growth-factor=1");
await main();
