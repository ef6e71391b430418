/**
 * The control endpoint: a ROUTER that decodes Circus's JSON requests, runs the commands of
 * the registry against the arbiter and answers each with a reply of the same id. Reads
 * answer at once; state-changing commands go one at a time through the arbiter's queue.
 */
import { chownSync } from "node:fs";
import { Router } from "zeromq";
import { ConfigError } from "../config/errors.js";
import { ArbiterError, type Arbiter } from "../core/arbiter.js";
import { logger } from "../log/logger.js";
import { wireJson } from "../python/json.js";
import { pyRepr } from "../python/repr.js";
import type { ClientKey } from "../security/client-keys.js";
import type { CurveServer } from "../security/server.js";
import { ownerOnlyIpc } from "../sys/files.js";
import { resolveUid } from "../sys/users.js";
import { changesState, type Command } from "./command.js";
import { getCommand } from "./commands/index.js";
import {
  ERRNO,
  errorReply,
  MAX_MESSAGE_BYTES,
  MessageError,
  okReply,
  type CircusReply,
} from "./protocol.js";
import { SendQueue } from "./send-queue.js";

/** Frames between the identity and the payload that a reply may carry back (REQ's ""). */
const MAX_ENVELOPE = 8;
/**
 * A peer sending a frame bigger than this is cut off by ZeroMQ itself, before the frame is
 * buffered (a frame a little over MAX_MESSAGE_BYTES still gets its "too big" reply).
 */
const HARD_MESSAGE_LIMIT = MAX_MESSAGE_BYTES + 64 * 1024;

/** Options of a {@link Controller}. */
export interface ControllerOptions {
  /** `[circus] endpoint_owner`: the user an ipc:// socket file is given to. */
  endpointOwner?: string | null;
  /**
   * An ipc:// socket file is made read-write for its owner only (true unless `[circus]
   * umask` says how files are to be created).
   */
  ownerOnly?: boolean;
  /** Called after the reply to `quit` went out (by default, the arbiter stops). */
  onQuit?: () => void | Promise<void>;
  /** Told of every request once it is answered (the metrics endpoint counts and times them). */
  onRequest?: RequestObserver;
  /**
   * CURVE (`curve_secret_key`): the socket encrypts and accepts only the clients' keys, and
   * every request must carry its key's token; a read-only key runs no state change.
   */
  curve?: CurveServer | null;
}

/** What {@link ControllerOptions.onRequest} is told of a request. */
export interface RequestOutcome {
  /**
   * The command's name from the registry; `unknown` for a request naming none or that could
   * not be read (a name a client makes up must not become a label of its own).
   */
  command: string;
  status: "ok" | "error";
  /** From the request's arrival to its reply (to its outcome, for a cast). */
  seconds: number;
}

/** Observes the requests a {@link Controller} answers. */
export type RequestObserver = (outcome: RequestOutcome) => void;

/**
 * Answers a request: `command` is the one it ran, when known; a cast (`send` false) is
 * observed but gets no reply.
 */
type Answer = (body: CircusReply, how?: { command?: Command; send?: boolean }) => void;

/** A request that could be decoded far enough to run. */
interface Decoded {
  id: unknown;
  command: Command;
  properties: Record<string, unknown>;
  cast: boolean;
  /** Who asked, through which program, when a front end (circushttpd) says so. */
  origin: { user: string; via: string } | null;
  /** With CURVE: the client key the request proved it came from. */
  key: ClientKey | null;
}

/** The ROUTER side of Circus's control protocol. */
export class Controller {
  private readonly socket: Router;
  private readonly out = new SendQueue((frames) => this.socket.send(frames));
  private closed = false;
  private quitting = false;

  constructor(
    private readonly arbiter: Arbiter,
    readonly endpoint: string,
    private readonly options: ControllerOptions = {},
  ) {
    // At most 64 requests wait in ZeroMQ per peer (the peer waits then, nothing is dropped).
    this.socket = new Router({
      linger: 0,
      maxMessageSize: HARD_MESSAGE_LIMIT,
      receiveHighWaterMark: 64,
      ...options.curve?.socketOptions(),
    });
  }

  /** Binds the endpoint (chowning an ipc socket file to endpoint_owner) and starts serving. */
  async start(): Promise<void> {
    await this.socket.bind(this.endpoint);
    if (this.options.ownerOnly) ownerOnlyIpc(this.endpoint);
    const owner = this.options.endpointOwner;
    if (owner && this.endpoint.startsWith("ipc://")) {
      chownSync(this.endpoint.slice("ipc://".length), resolveUid(owner), -1);
    }
    void this.serve();
    void (async () => {
      // Also how a peer cut off for a frame over HARD_MESSAGE_LIMIT shows.
      for await (const event of this.socket.events)
        if (event.type === "disconnect")
          logger.debug(
            `controller: a peer left, or was cut off (a frame over ${HARD_MESSAGE_LIMIT} bytes)`,
          );
    })().catch(() => undefined);
  }

  /** Lets the replies already given out, then stops serving and closes the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.out.drain();
    this.closed = true;
    this.out.close();
    this.socket.close();
  }

  private async serve(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        try {
          this.handle(frames);
        } catch (error) {
          // Nothing a client sends may stop the loop.
          logger.error(`controller: ${(error as Error).stack ?? String(error)}`);
        }
      }
    } catch (error) {
      if (!this.closed) logger.error(`controller socket failed: ${(error as Error).message}`);
    }
  }

  /** One message: [identity, payload] from a DEALER, [identity, "", payload] from a REQ. */
  private handle(frames: Buffer[]): void {
    if (frames.length < 2) return;
    const envelope = frames.slice(0, -1);
    const payload = frames[frames.length - 1] as Buffer;
    const observe = this.observer();
    const reply: Answer = (body, how = {}) => {
      observe?.(body, how.command);
      if (how.send !== false) this.reply(envelope, body);
    };
    if (envelope.length > MAX_ENVELOPE) {
      const body = errorReply(null, "message invalid: too many frames");
      observe?.(body);
      // A REQ's envelope is its identity and an empty frame: without it, it drops the reply.
      this.reply(frames.slice(0, frames[1]?.length === 0 ? 2 : 1), body);
      return;
    }
    if (payload.length > MAX_MESSAGE_BYTES) {
      const reason = `message too big: ${payload.length} bytes (at most ${MAX_MESSAGE_BYTES})`;
      reply(errorReply(peekId(payload), reason, ERRNO.MESSAGE_ERROR));
      return;
    }
    const decoded = this.decode(payload, reply);
    if (decoded) this.run(decoded, reply);
  }

  /** Parses and checks the request's frame; on error, replies and returns null. */
  private decode(payload: Buffer, reply: Answer): Decoded | null {
    const text = payload.toString("utf8").trim();
    if (text === "") {
      reply(errorReply(null, "empty command"));
      return null;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      reply(errorReply(null, "json invalid", ERRNO.INVALID_JSON));
      return null;
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      reply(errorReply(null, "json invalid: a request is an object", ERRNO.INVALID_JSON));
      return null;
    }
    const request = json as Record<string, unknown>;
    const id = request.id ?? null;
    const cast = request.msg_type === "cast";
    const name = request.command;
    const known = typeof name === "string" ? getCommand(name) : undefined;
    const command = known?.clientOnly ? undefined : known;
    const fail = (reason: string, errno: number) => {
      reply(errorReply(id as string | null, reason, errno), { command, send: !cast });
      return null;
    };
    if (!command) return fail(`unknown command: ${pyRepr(name)}`, ERRNO.UNKNOWN_COMMAND);
    const properties = request.properties ?? {};
    if (typeof properties !== "object" || properties === null || Array.isArray(properties))
      return fail("'properties' should be an object", ERRNO.MESSAGE_ERROR);
    let key: ClientKey | null = null;
    const curve = this.options.curve;
    if (curve) {
      // The connection's key passed ZAP; the token says which key the request comes from.
      const found = typeof request.auth === "string" ? curve.keys.byToken(request.auth) : undefined;
      if (!found)
        return fail(
          "no valid client key token: circusd uses CURVE, and this client did not prove its key",
          ERRNO.MESSAGE_ERROR,
        );
      key = found;
      if (key.role === "readonly" && changesState(command))
        return fail(`read-only key ${key.name} cannot ${command.name}`, ERRNO.MESSAGE_ERROR);
    }
    return {
      id,
      command,
      properties: properties as Record<string, unknown>,
      cast,
      origin: readOrigin(request.origin),
      key,
    };
  }

  private run(request: Decoded, reply: Answer): void {
    const { id, command, properties, cast } = request;
    const answer = (body: CircusReply) => reply(body, { command, send: !cast });
    const ok = (fields: Record<string, unknown> | void) =>
      answer(okReply(id as string | null, fields ?? {}));
    const fail = (error: unknown) => answer(this.errorFor(id, command, error));
    try {
      command.validate(properties);
      // The audit trail: the client key's name, and a web console's user (circusd sees one
      // client, the console's).
      const who = changesState(command) ? auditName(request.origin, request.key) : null;
      if (who) logger.info(`${who}: ${command.name} ${auditJson(properties)}`);
      if (command.name === "quit") {
        void this.quit(properties.waiting === true, ok);
        return;
      }
      if (!command.mutating) {
        const result = command.execute(this.arbiter, properties);
        if (result instanceof Promise) result.then(ok, fail);
        else ok(result);
        return;
      }
      const plan = command.check?.(this.arbiter, properties);
      const done = this.arbiter.exclusive((change) => command.execute(change, properties, plan));
      if (command.waits || properties.waiting === true) {
        done.then(ok, fail);
      } else {
        ok(command.accepted?.(plan));
        done.catch((error: unknown) =>
          logger.error(`${command.name}: ${(error as Error).message ?? String(error)}`),
        );
      }
    } catch (error) {
      fail(error);
    }
  }

  /**
   * With an observer: what tells it of one request's outcome, timed from now, once (a second
   * answer to the same request is not counted again).
   */
  private observer(): ((body: CircusReply, command?: Command) => void) | null {
    const onRequest = this.options.onRequest;
    if (!onRequest) return null;
    const start = performance.now();
    let told = false;
    return (body, command) => {
      if (told) return;
      told = true;
      onRequest({
        command: command?.name ?? "unknown",
        // Not `=== "ok"`: `status NAME` answers with the watcher's status in that field.
        status: body.status === "error" ? "error" : "ok",
        seconds: (performance.now() - start) / 1000,
      });
    };
  }

  /** quit: reply (after the stop when waiting), then hand over to circusd to leave. */
  private async quit(
    waiting: boolean,
    ok: (fields?: Record<string, unknown>) => void,
  ): Promise<void> {
    if (this.quitting) {
      ok();
      return;
    }
    this.quitting = true;
    // Waiting: the reply goes out once the watchers have stopped, before the endpoints close.
    if (waiting) this.arbiter.once("stopped", () => ok());
    else ok();
    await this.out.drain();
    await (this.options.onQuit ?? (() => this.arbiter.stop()))();
  }

  /** The error reply for what a command threw, with Circus's errno classes. */
  private errorFor(id: unknown, command: Command, error: unknown): CircusReply {
    const message = error instanceof Error ? error.message : String(error);
    const mid = id as string | null;
    if (
      error instanceof MessageError ||
      error instanceof ArbiterError ||
      error instanceof ConfigError
    )
      return errorReply(mid, message, ERRNO.MESSAGE_ERROR);
    if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string")
      return errorReply(mid, message, ERRNO.OS_ERROR);
    logger.debug(`error: command ${command.name}: ${(error as Error)?.stack ?? message}`);
    return errorReply(mid, `command '${command.name}': ${message}`, ERRNO.COMMAND_ERROR);
  }

  private reply(envelope: Buffer[], body: CircusReply): void {
    if (this.closed) return;
    let text: string;
    try {
      text = wireJson(body);
    } catch (error) {
      text = wireJson(
        errorReply(null, `server error: ${(error as Error).message}`, ERRNO.BAD_MSG_DATA_ERROR),
      );
    }
    this.out.push([...envelope, Buffer.from(text)]);
  }
}

/** The id of a request too big to parse, when it shows near the start of the frame. */
export function peekId(payload: Buffer): string | null {
  const head = payload.subarray(0, 4096).toString("utf8");
  const match = /"id"\s*:\s*"((?:[^"\\]|\\.){0,256})"/.exec(head);
  if (!match) return null;
  try {
    return JSON.parse(`"${match[1]}"`) as string;
  } catch {
    return null;
  }
}

/** A request's `origin` field when it is well formed (short printable strings), else null. */
function readOrigin(value: unknown): { user: string; via: string } | null {
  if (typeof value !== "object" || value === null) return null;
  const { user, via } = value as Record<string, unknown>;
  const ok = (x: unknown): x is string =>
    typeof x === "string" && x.length > 0 && x.length <= 64 && /^[\x21-\x7e]+$/.test(x);
  return ok(user) && ok(via) ? { user, via } : null;
}

/** Who asked for a state change, as the audit line names them; null when nothing says. */
function auditName(
  origin: { user: string; via: string } | null,
  key: ClientKey | null,
): string | null {
  const byKey = key ? `key ${key.name}` : null;
  if (!origin) return byKey;
  return `${origin.user} via ${origin.via}${byKey ? ` (${byKey})` : ""}`;
}

/** Properties as Python's json.dumps prints them (`{"name": "web"}`), for the audit line. */
function auditJson(properties: Record<string, unknown>): string {
  let text: string;
  try {
    text = JSON.stringify(properties) ?? "{}";
  } catch {
    return "{...}";
  }
  // Separators outside strings only: walk the text, skipping string literals.
  return text.replace(/("(?:[^"\\]|\\.)*")|([,:])/g, (_m, str: string | undefined, sep: string) =>
    str !== undefined ? str : `${sep} `,
  );
}
