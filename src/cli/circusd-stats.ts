#!/usr/bin/env node
/**
 * `circusd-stats [options]`: publishes the CPU, memory and socket figures of a running
 * circusd on a stats endpoint, for circus-top and the web console. circusd runs it as the
 * watcher `circusd-stats` when `[circus] statsd = true`.
 */
import { parseArgs } from "node:util";
import v8 from "node:v8";
import { DEFAULT_ENDPOINT } from "../client/client.js";
import { DEFAULT_PUBSUB_ENDPOINT } from "../client/subscriber.js";
import { DEFAULT_STATS_ENDPOINT } from "../config/defaults.js";
import { configureDefault } from "../log/config.js";
import { levelRank, logger, parseLogLevel } from "../log/logger.js";
import { StatsStreamer } from "../statsd/streamer.js";
import { CurveServer } from "../security/server.js";
import { packageVersion } from "../version.js";
import { CURVE_ARG_OPTIONS, CURVE_USAGE, curveFromArgs } from "./curve-args.js";
import { fail } from "./fail.js";

const USAGE = `usage: circusd-stats [-h] [--endpoint ENDPOINT] [--pubsub PUBSUB]
                     [--statspoint STATSPOINT] [--log-level LOGLEVEL]
                     [--log-output LOGOUTPUT] [--version] [--ssh SSH]
                     [--delay DELAY]

Runs the stats aggregator for Circus

options:
  -h, --help            show this help message and exit
  --endpoint ENDPOINT   The circusd ZeroMQ socket to connect to (${DEFAULT_ENDPOINT})
  --pubsub PUBSUB       The circusd ZeroMQ pub/sub socket to connect to
                        (${DEFAULT_PUBSUB_ENDPOINT})
  --statspoint STATSPOINT
                        The ZeroMQ pub/sub socket to send data to
                        (${DEFAULT_STATS_ENDPOINT})
  --log-level LOGLEVEL  log level (info)
  --log-output LOGOUTPUT
                        log output: - for stdout (default), a file or a syslog URL
  --version             Displays Circus version and exits.
  --ssh SSH             SSH Server: user@host[:port]
  --delay DELAY         seconds between two rounds of figures (1)
${CURVE_USAGE}  --curve-clients DIR   CURVE on the stats endpoint: the accepted clients' keys
                        (with --curve-circus-key, circusd's secret key: circusd gives both)
  --ipc-owner-only      an ipc:// stats endpoint's socket file read-write for its owner
                        only (circusd gives it unless [circus] umask is set)
`;

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        help: { type: "boolean", short: "h" },
        endpoint: { type: "string", default: DEFAULT_ENDPOINT },
        pubsub: { type: "string", default: DEFAULT_PUBSUB_ENDPOINT },
        statspoint: { type: "string", default: DEFAULT_STATS_ENDPOINT },
        "log-level": { type: "string", default: "info" },
        "log-output": { type: "string", default: "-" },
        version: { type: "boolean" },
        ssh: { type: "string" },
        delay: { type: "string", default: "1" },
        ...CURVE_ARG_OPTIONS,
        "curve-clients": { type: "string" },
        "ipc-owner-only": { type: "boolean" },
      },
    });
  } catch (error) {
    fail(`${USAGE}circusd-stats: error: ${(error as Error).message}`);
  }
  const { values } = parsed;
  if (values.help) return void process.stdout.write(USAGE);
  if (values.version) return void process.stdout.write(`${packageVersion()}\n`);
  const level = parseLogLevel(values["log-level"]);
  if (!level) fail(`circusd-stats: unknown log level ${JSON.stringify(values["log-level"])}`);
  const delay = Number(values.delay);
  if (!(delay > 0)) fail(`circusd-stats: --delay: expected a positive number of seconds`);
  await configureDefault(levelRank(level), values["log-output"]);

  const curve = curveFromArgs(values, "circusd-stats");
  let curveServer: CurveServer | undefined;
  if (values["curve-clients"] !== undefined) {
    const secret = values["curve-circus-key"];
    if (secret === undefined) fail("circusd-stats: --curve-clients needs --curve-circus-key");
    try {
      curveServer = new CurveServer(secret, values["curve-clients"]);
    } catch (error) {
      fail(`circusd-stats: ${(error as Error).message}`);
    }
  }
  const streamer = new StatsStreamer({
    endpoint: values.endpoint,
    pubsub: values.pubsub,
    statsEndpoint: values.statspoint,
    ssh: values.ssh ?? null,
    delay,
    ...(curve ? { curve } : {}),
    ...(curveServer ? { curveServer } : {}),
    ownerOnly: values["ipc-owner-only"] === true,
  });
  const stop = (): void => void streamer.stop().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  try {
    await streamer.start();
  } catch (error) {
    logger.error(`circusd-stats: ${(error as Error).message}`);
    process.exit(1);
  }
}

// A round allocates about 12 KiB per process (12 MiB a second with 1000): V8 would grow its
// young generation to 16 MiB per semi-space, 30 MiB more RSS than the streamer needs, for
// scavenges that are no cheaper (bench/RESULTS.md, "live statistics"). Set from here: given on
// node's command line, the flag does not take effect.
v8.setFlagsFromString("--semi-space-growth-factor=1");
main().catch((error: unknown) => {
  logger.error(`circusd-stats: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
