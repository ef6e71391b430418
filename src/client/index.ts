/** The client library: the control-socket {@link Client} and the events {@link Subscriber}. */
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
export { CallError, CommandError, HandshakeError, TimeoutError } from "./errors.js";
export { curveClientFrom, type CurveClient } from "../security/client-options.js";
export { openSshTunnel, parseSshServer, type SshTunnel, type SshTunnelOptions } from "./ssh.js";
export type { CircusReply, CircusRequest } from "../control/protocol.js";
