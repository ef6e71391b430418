/**
 * The errors of the client library. Every failure of a call is a {@link CallError} (as
 * Circus's `circus.exc.CallError`), so that a caller can catch one type; the subclasses say
 * why, for callers that care.
 */
import type { CircusReply } from "../control/protocol.js";

/** A call that got no usable reply: timeout, closed client, unparsable reply, socket error. */
export class CallError extends Error {
  override name = "CallError";
}

/** No reply within the client's timeout. */
export class TimeoutError extends CallError {
  override name = "TimeoutError";

  constructor(
    /** The command that went unanswered. */
    readonly command: string,
    /** The endpoint it was sent to. */
    readonly endpoint: string,
    /** The timeout that ran out, in seconds. */
    readonly timeout: number,
  ) {
    super(`timed out after ${timeout} s waiting for a reply to "${command}" from ${endpoint}`);
  }
}

/** An error reply (`status: "error"`), thrown by {@link Client.callOk}. */
export class CommandError extends CallError {
  override name = "CommandError";
  /** The daemon's `reason`. */
  readonly reason: string;
  /** The daemon's `errno` (Circus's error numbers), when it sent one. */
  readonly errno: number | undefined;

  constructor(readonly reply: CircusReply) {
    const reason = typeof reply.reason === "string" ? reply.reason : "unknown error";
    super(reason);
    this.reason = reason;
    this.errno = typeof reply.errno === "number" ? reply.errno : undefined;
  }
}

/**
 * The ZeroMQ handshake with circusd failed: its key refused this client's, the client's idea
 * of CURVE differs from circusd's, or the server key is not circusd's. Said at once, rather
 * than as a timeout.
 */
export class HandshakeError extends CallError {
  override name = "HandshakeError";
}
