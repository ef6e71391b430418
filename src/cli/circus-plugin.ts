#!/usr/bin/env node
/**
 * `circus-plugin [options] PLUGIN`: runs one plugin against a running circusd, as circusd
 * itself does for every `[plugin:NAME]` (the watcher `plugin:NAME` runs this program).
 */
import { parseArgs } from "node:util";
import { DEFAULT_ENDPOINT } from "../client/client.js";
import { DEFAULT_PUBSUB_ENDPOINT } from "../client/subscriber.js";
import { configureDefault } from "../log/config.js";
import { levelRank, logger, parseLogLevel } from "../log/logger.js";
import { parseConfigArgs, PluginOptionError } from "../plugins/options.js";
import { resolvePlugin } from "../plugins/registry.js";
import { packageVersion } from "../version.js";
import { CURVE_ARG_OPTIONS, CURVE_USAGE, curveFromArgs } from "./curve-args.js";
import { fail } from "./fail.js";

const USAGE = `usage: circus-plugin [-h] [--endpoint ENDPOINT] [--pubsub PUBSUB]
                     [--config KEY:VALUE] [--version] [--check-delay CHECK_DELAY]
                     [--log-level LOGLEVEL] [--log-output LOGOUTPUT] [--ssh SSH]
                     [plugin]

Runs a plugin.

positional arguments:
  plugin                a built-in plugin (Flapping, circus.plugins.flapping.Flapping,
                        ...) or a module's class as module-path:Export

options:
  -h, --help            show this help message and exit
  --endpoint ENDPOINT   the circusd ZeroMQ socket to connect to (${DEFAULT_ENDPOINT})
  --pubsub PUBSUB       the circusd ZeroMQ pub/sub socket to connect to
                        (${DEFAULT_PUBSUB_ENDPOINT})
  --config KEY:VALUE    a plugin option; repeat it, or join several with ":::"
  --version             displays the version and exits
  --check-delay CHECK_DELAY
                        check delay, in seconds (5)
  --log-level LOGLEVEL  log level (info)
  --log-output LOGOUTPUT
                        log output: - for stdout (default), a file or a syslog URL
  --ssh SSH             reach circusd through ssh: user@host[:port]
${CURVE_USAGE}`;

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        help: { type: "boolean", short: "h" },
        endpoint: { type: "string", default: DEFAULT_ENDPOINT },
        pubsub: { type: "string", default: DEFAULT_PUBSUB_ENDPOINT },
        config: { type: "string", multiple: true, default: [] },
        version: { type: "boolean" },
        "check-delay": { type: "string", default: "5" },
        "log-level": { type: "string", default: "info" },
        "log-output": { type: "string", default: "-" },
        ssh: { type: "string" },
        ...CURVE_ARG_OPTIONS,
      },
    });
  } catch (error) {
    fail(`${USAGE}circus-plugin: error: ${(error as Error).message}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return void process.stdout.write(USAGE);
  if (values.version) return void process.stdout.write(`${packageVersion()}\n`);
  const use = positionals[0];
  if (use === undefined) return void process.stdout.write(USAGE);
  const level = parseLogLevel(values["log-level"]);
  if (!level) fail(`circus-plugin: unknown log level ${JSON.stringify(values["log-level"])}`);
  const checkDelay = Number(values["check-delay"]);
  if (!(checkDelay > 0)) fail(`circus-plugin: --check-delay: expected a positive number`);
  await configureDefault(levelRank(level), values["log-output"]);

  logger.info("Loading the plugin...");
  logger.info(`Endpoint: '${values.endpoint}'`);
  logger.info(`Pub/sub: '${values.pubsub}'`);
  let plugin;
  try {
    const Plugin = await resolvePlugin(use, process.cwd());
    plugin = new Plugin(
      values.endpoint,
      values.pubsub,
      checkDelay,
      parseConfigArgs(values.config),
      values.ssh ?? null,
    );
  } catch (error) {
    const option = error instanceof PluginOptionError ? `${error.option}: ` : "";
    fail(`circus-plugin: ${use}: ${option}${(error as Error).message}`);
  }
  plugin.curve = curveFromArgs(values, "circus-plugin") ?? null;
  const stop = (): void => {
    logger.info("Stopping");
    void plugin.stop().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  logger.info("Starting");
  await plugin.start();
}

main().catch((error: unknown) => {
  logger.error(`circus-plugin: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
