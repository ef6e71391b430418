/**
 * The client end of CURVE for the library's sockets: the socket options, the request token,
 * and the handshake failures turned into one clear {@link HandshakeError} each.
 */
import type { Socket } from "zeromq";
import type { CurveClient } from "../security/client-options.js";
import { keyToken } from "../security/client-keys.js";
import { HandshakeError } from "./errors.js";

export type { CurveClient } from "../security/client-options.js";

/** The socket options of a CURVE client (none without CURVE). */
export function curveSocketOptions(curve: CurveClient | undefined): {
  curveServerKey?: string;
  curvePublicKey?: string;
  curveSecretKey?: string;
} {
  if (!curve) return {};
  return {
    curveServerKey: curve.serverKey,
    curvePublicKey: curve.publicKey,
    curveSecretKey: curve.secretKey,
  };
}

/** The token each request carries to prove the client's key (null without CURVE). */
export function requestToken(curve: CurveClient | undefined): string | null {
  return curve ? keyToken(curve.secretKey, curve.serverKey) : null;
}

/**
 * Calls `fail` with a HandshakeError when the socket's handshake with `endpoint` fails, and
 * `ok` when one succeeds (a key added to circusd's folder meanwhile).
 */
export function watchHandshakes(
  socket: Socket,
  endpoint: string,
  curve: boolean,
  fail: (error: HandshakeError) => void,
  ok: () => void = () => undefined,
): void {
  const events = socket.events;
  events.on("handshake", ok);
  events.on("handshake:error:auth", () =>
    fail(
      new HandshakeError(
        `circusd at ${endpoint} refused this client's key (it is not among its curve_clients)`,
      ),
    ),
  );
  events.on("handshake:error:protocol", () =>
    fail(
      new HandshakeError(
        curve
          ? `circusd at ${endpoint} does not use CURVE: drop --curve-key and --curve-server-key`
          : `circusd at ${endpoint} wants CURVE: give --curve-key and --curve-server-key (or CIRCUS_CURVE_KEY and CIRCUS_CURVE_SERVER_KEY)`,
      ),
    ),
  );
  if (curve)
    events.on("handshake:error:other", () =>
      fail(
        new HandshakeError(
          `the CURVE handshake with ${endpoint} failed: is --curve-server-key circusd's public key?`,
        ),
      ),
    );
}
