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
export {
  getArbiter,
  type ArbiterOptions,
  type PluginInput,
  type SocketInput,
  type WatcherInput,
} from "./library.js";
export { ServedArbiter, EndpointError, type ServeOptions } from "./control/served-arbiter.js";
export { SerialQueue } from "./core/serial-queue.js";
export { CircusSocket, bindAll, type SocketInfo } from "./sockets/index.js";
export {
  Arbiter,
  ArbiterError,
  type ArbiterEvent,
  type ArbiterEvents,
  type ReloadSummary,
} from "./core/arbiter.js";
export {
  Watcher,
  type WatcherEvent,
  type WatcherEvents,
  type WatcherHost,
  type WatcherOptions,
  type WatcherStatus,
} from "./core/watcher.js";
export type { SignalOptions } from "./core/watcher-signals.js";
export { respawnDelay } from "./core/spawner.js";
export { osProcessTable, type ProcessTable } from "./sys/process-table.js";
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
  discover,
  reachableEndpoint,
  type DiscoveredDaemon,
  type DiscoverOptions,
  type ClientOptions,
  type CallOptions,
  type CircusEvent,
  type SubscriberOptions,
  type CircusReply,
  type CircusRequest,
} from "./client/index.js";
export { PyFloat } from "./python/repr.js";
