/** The library tests' in-process arbiter (test/circusd-library, the QueueStream tests). */
import path from "node:path";
import {
  getArbiter,
  type ArbiterOptions,
  type ServedArbiter,
  type WatcherInput,
} from "../../src/index.js";
import { defer } from "./cleanup.js";

/**
 * Options of an embedded arbiter for a test: its control and pub/sub endpoints in the test's
 * folder (never the default tcp ports another circusd may hold), no multicast discovery.
 */
export function libraryEndpoints(dir: string): ArbiterOptions {
  return {
    controller: `ipc://${path.join(dir, "control.sock")}`,
    pubsubEndpoint: `ipc://${path.join(dir, "pubsub.sock")}`,
    multicastEndpoint: null,
  };
}

/**
 * getArbiter(watchers, options) with its endpoints in `dir`, stopped at cleanup (a no-op
 * once the test stopped it itself).
 */
export function arbiterOf(
  dir: string,
  watchers: WatcherInput[],
  options: ArbiterOptions = {},
): ServedArbiter {
  const arbiter = getArbiter(watchers, { ...libraryEndpoints(dir), ...options });
  defer(() => arbiter.stop());
  return arbiter;
}
