/**
 * The client library: the control-socket {@link Client}, the events {@link Subscriber}, and
 * {@link discover} (the daemons that answer on the multicast group).
 */
export {
  Client,
  DEFAULT_ENDPOINT,
  DEFAULT_TIMEOUT,
  newId,
  type ClientOptions,
  type CallOptions,
} from "./client.js";
export {
  Subscriber,
  DEFAULT_PUBSUB_ENDPOINT,
  type CircusEvent,
  type SubscriberOptions,
} from "./subscriber.js";
export {
  discover,
  reachableEndpoint,
  DEFAULT_MULTICAST_ENDPOINT,
  DEFAULT_DISCOVERY_TIMEOUT_MS,
  DISCOVERY_QUERY,
  type DiscoveredDaemon,
  type DiscoverOptions,
} from "./discovery.js";
export { CallError, CommandError, HandshakeError, TimeoutError } from "./errors.js";
export { curveClientFrom, type CurveClient } from "../security/client-options.js";
export { openSshTunnel, parseSshServer, type SshTunnel, type SshTunnelOptions } from "./ssh.js";
export type { CircusReply, CircusRequest } from "../control/protocol.js";
