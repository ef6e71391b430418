/**
 * Circus for TypeScript as a library: `getArbiter` builds the same engine circusd runs.
 *
 * ```ts
 * import { getArbiter } from "circus-ts";
 * const arbiter = getArbiter([{ cmd: "node worker.js", numprocesses: 4 }]);
 * await arbiter.start();
 * // ...
 * await arbiter.stop();
 * ```
 */
import { watcherConfig } from "./config/load.js";
import type { CircusOptions, WatcherConfig } from "./config/types.js";
import { Arbiter } from "./core/arbiter.js";

export { CircusSocket, bindAll, type SocketInfo } from "./sockets/index.js";
export { Arbiter, ArbiterError, type ArbiterEvent, type ReloadSummary } from "./core/arbiter.js";
export {
  Watcher,
  type WatcherEvent,
  type WatcherStatus,
  type SignalOptions,
} from "./core/watcher.js";
export {
  Process,
  RUNNING,
  DEAD_OR_ZOMBIE,
  UNEXISTING,
  OTHER,
  type ProcessOptions,
  type ProcessExit,
  type ProcessStatus,
} from "./core/process.js";
export type { ProcessInfo } from "./stats/process-info.js";
export { loadConfig, watcherConfig } from "./config/load.js";
export { ConfigError } from "./config/errors.js";
export type * from "./config/types.js";
export { Logger, logger, type LogLevel } from "./log/logger.js";
export { CircusPlugin, type PluginClass, type TopicParts } from "./plugins/plugin.js";
export {
  readOptions,
  PluginOptionError,
  type OptionSpec,
  type Options,
  type SizeLimit,
} from "./plugins/options.js";
export {
  FileStream,
  WatchedFileStream,
  TimedRotatingFileStream,
  QueueStream,
  StdoutStream,
  StderrStream,
  FancyStdoutStream,
  type OutputStream,
  type OutputStreamClass,
  type StreamData,
} from "./streams/index.js";
export {
  Client,
  Subscriber,
  CallError,
  CommandError,
  TimeoutError,
  type ClientOptions,
  type CallOptions,
  type CircusEvent,
  type SubscriberOptions,
  type CircusReply,
  type CircusRequest,
} from "./client/index.js";
export { PyFloat } from "./python/repr.js";

/** A watcher as the library takes it: `cmd` plus any WatcherConfig field. */
export type WatcherInput = Partial<WatcherConfig> & { cmd: string };

/**
 * Creates an Arbiter for the given watchers, as Circus's `get_arbiter(watchers, **options)`.
 * Nothing runs until `start()`.
 */
export function getArbiter(
  watchers: WatcherInput[],
  options: Partial<CircusOptions> = {},
): Arbiter {
  return new Arbiter(
    watchers.map((w) => watcherConfig(w)),
    options,
  );
}
