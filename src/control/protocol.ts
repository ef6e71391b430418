/**
 * The wire shapes of Circus's control protocol (the same JSON as Circus 0.19): a request is
 * one JSON frame from a DEALER, a reply one JSON frame back to it through the ROUTER.
 */
import { timeNow, type PyFloat } from "../python/repr.js";

/** `{"id", "command", "properties", "msg_type"?}`; a `cast` gets no reply. */
export interface CircusRequest {
  id: string | null;
  command: string;
  properties: Record<string, unknown>;
  msg_type?: string;
  /** circushttpd's audit field: who asked for this request, through which program. */
  origin?: { user: string; via: string };
  /** With CURVE: the token proving the client's key (src/security/client-keys.ts). */
  auth?: string;
}

/** `{"id", "status": "ok"|"error", "time", ...}`; errors add `reason` and `errno`. */
export type CircusReply = Record<string, unknown> & {
  id: string | null;
  status: string;
  time: number | PyFloat;
};

/** Error numbers of Circus's `circus/commands/errors.py`. */
export const ERRNO = {
  NOT_SPECIFIED: 0,
  INVALID_JSON: 1,
  UNKNOWN_COMMAND: 2,
  MESSAGE_ERROR: 3,
  OS_ERROR: 4,
  COMMAND_ERROR: 5,
  BAD_MSG_DATA_ERROR: 6,
} as const;

/** Requests bigger than this get an error reply and are not parsed. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** A request whose properties are missing or of the wrong type; answered with MESSAGE_ERROR. */
export class MessageError extends Error {
  override name = "MessageError";
}

/** A circusctl command line that cannot be turned into a request. */
export class ArgumentError extends Error {
  override name = "ArgumentError";
}

/**
 * An ok reply with the command's fields. As Circus's `ok(props)` does, the fields are laid
 * over `status` and `time`: `status NAME` answers `{"status": "active"}`, not "ok".
 */
export function okReply(id: string | null, fields: Record<string, unknown> = {}): CircusReply {
  return { status: "ok", time: timeNow(), ...fields, id };
}

/** An error reply, as Circus's `error(reason, tb, errno)`. */
export function errorReply(
  id: string | null,
  reason: string,
  errno: number = ERRNO.NOT_SPECIFIED,
): CircusReply {
  return { status: "error", reason, tb: null, time: timeNow(), errno, id };
}
