/** What the tests of the library API share. */
import path from "node:path";
import type { ArbiterOptions } from "../../src/index.js";

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
