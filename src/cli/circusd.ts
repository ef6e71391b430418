#!/usr/bin/env node
import { spawn } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../config/errors.js";
import { packageVersion } from "../version.js";
import { loadConfig } from "../config/load.js";
import type { CircusConfig } from "../config/types.js";
import { Arbiter } from "../core/arbiter.js";
import { Controller } from "../control/controller.js";
import { Publisher } from "../control/publisher.js";
import { logger, openSink, parseLogLevel } from "../log/logger.js";
import { checkSupported } from "./unsupported.js";
import { acquirePidfile, releasePidfile, PidfileError } from "./pidfile.js";

const USAGE = `usage: circusd [-h] [--log-level LEVEL] [--log-output LOGOUTPUT]
               [--logger-config LOGGERCONFIG] [--daemon] [--pidfile PIDFILE]
               [--version] [config]

Run some watchers.

positional arguments:
  config                configuration file

options:
  -h, --help            show this help message and exit
  --log-level LEVEL     log level (debug, info, warning, error, critical)
  --log-output LOGOUTPUT
                        where the logs go: - for stdout (default) or a file
  --logger-config LOGGERCONFIG
                        a logging configuration file (INI, JSON or YAML)
  --daemon              start circusd in the background
  --pidfile PIDFILE     the location of the pid file
  --version             display the version and exit
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

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
        version: { type: "boolean" },
      },
    });
  } catch (error) {
    fail(`circusd: ${(error as Error).message}\n${USAGE}`);
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
  if (!configPath || positionals.length > 1) fail(`circusd: expected one config file\n${USAGE}`);

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
    fail(error instanceof ConfigError ? error.message : `circusd: ${(error as Error).message}`);
  }
  const levelText = values["log-level"] ?? config.circus.loglevel;
  const level = parseLogLevel(levelText);
  if (!level) fail(`circusd: unknown log level ${JSON.stringify(levelText)}`);
  const loggerConfig = values["logger-config"] ?? config.circus.loggerconfig;
  if (loggerConfig && loggerConfig !== "default") {
    fail(`${config.file}: [circus] loggerconfig: logger configuration files are not supported yet`);
  }
  const pidfile = values.pidfile ?? config.circus.pidfile;
  if (values.daemon && !process.env.CIRCUSD_DAEMON) {
    if (pidfile) {
      try {
        acquirePidfile(pidfile, true);
      } catch (error) {
        fail(`circusd: ${(error as Error).message}`);
      }
    }
    daemonize(argv, configPath);
  }

  logger.level = level;
  const logOutput = values["log-output"] ?? config.circus.logoutput;
  try {
    logger.setSink(openSink(logOutput));
  } catch (error) {
    fail(`circusd: cannot open log output: ${(error as Error).message}`);
  }
  if (config.circus.umask !== null) process.umask(config.circus.umask);
  if (pidfile) {
    try {
      acquirePidfile(pidfile);
    } catch (error) {
      fail(`circusd: ${error instanceof PidfileError ? error.message : String(error)}`);
    }
  }

  let arbiter: Arbiter;
  try {
    arbiter = new Arbiter(config.watchers, config.circus, config.sockets, config.plugins);
    for (const watcher of arbiter.watchers) await watcher.prepare();
  } catch (error) {
    if (pidfile) releasePidfile(pidfile);
    fail(error instanceof ConfigError ? error.message : `circusd: ${(error as Error).message}`);
  }
  arbiter.configLoader = load;

  // A bug in a hook or in circusd must not take every supervised process down with it.
  process.on("uncaughtException", (error) =>
    logger.error(`uncaught error: ${error.stack ?? error}`),
  );
  process.on("unhandledRejection", (error) =>
    logger.error(`unhandled rejection: ${String(error)}`),
  );

  let exiting = false;
  let controller: Controller | null = null;
  let publisher: Publisher | null = null;
  /** Stops every watcher, lets the last events out, closes the endpoints and leaves with 0. */
  const exit = async () => {
    await arbiter.stop();
    await publisher?.flush();
    controller?.close();
    publisher?.close();
    if (pidfile) releasePidfile(pidfile);
    logger.info("circusd stopped");
    process.exit(0);
  };
  const shutdown = (signal: string) => {
    logger.info(`Got signal SIG_${signal.replace(/^SIG/, "")}`);
    if (exiting) return;
    exiting = true;
    void exit();
  };
  for (const signal of ["SIGTERM", "SIGINT", "SIGQUIT"] as const)
    process.on(signal, () => shutdown(signal));
  let reloading = Promise.resolve();
  process.on("SIGHUP", () => {
    reopenLog(logOutput);
    logger.info("Got signal SIG_HUP");
    if (exiting) return;
    reloading = reloading.then(() => reloadAll(arbiter));
  });

  // As Circus, the endpoints are bound before the watchers start: their spawn events are
  // published, and the daemon answers while a thousand processes start.
  try {
    controller = new Controller(arbiter, config.circus.endpoint, {
      endpointOwner: config.circus.endpointOwner,
      onQuit: () => {
        logger.info("Got quit command");
        exiting = true;
        return exit();
      },
    });
    await controller.start();
    publisher = new Publisher(arbiter, config.circus.pubsubEndpoint);
    await publisher.start();
  } catch (error) {
    controller?.close();
    publisher?.close();
    if (pidfile) releasePidfile(pidfile);
    fail(`circusd: cannot bind the control endpoints: ${(error as Error).message}`);
  }

  try {
    await arbiter.start();
  } catch (error) {
    // A socket that cannot bind (or a watcher naming one that does not exist): the arbiter
    // closed what it had bound; leave with the one line naming section and option.
    controller?.close();
    publisher?.close();
    if (pidfile) releasePidfile(pidfile);
    fail(error instanceof ConfigError ? error.message : `circusd: ${(error as Error).message}`);
  }
}

/**
 * SIGHUP: a log file that logrotate moved away is reopened by name, as Circus's reload does,
 * so that the lines go to the new file. The old file stays in use if the new one cannot open.
 */
function reopenLog(output: string): void {
  if (output === "-" || output === "") return;
  try {
    logger.setSink(openSink(output));
  } catch (error) {
    logger.error(`cannot reopen log output ${output}: ${(error as Error).message}`);
  }
}

/** SIGHUP: re-read the config, apply what changed, and gracefully reload what did not. */
async function reloadAll(arbiter: Arbiter): Promise<void> {
  try {
    const summary = await arbiter.reloadConfig();
    for (const name of [...summary.unchanged, ...summary.resized]) {
      await arbiter.getWatcher(name)?.reload(true);
    }
  } catch (error) {
    logger.error(`reload failed, keeping the running config: ${(error as Error).message}`);
  }
}

await main();
